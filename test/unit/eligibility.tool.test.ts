import { ToolMessage } from '@langchain/core/messages';
import { toJsonSchema } from '@langchain/core/utils/json_schema';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_DIR, createEligibilityTool, loadRules, type EligibilityResult } from '../../src/eligibility/index.js';

const rules = loadRules(DEFAULT_RULES_DIR);
const tool = createEligibilityTool(rules, () => '2025-06-01');
const EXAMPLE = { series: 'engineering', targetLevel: 'intermediate', education: { degree: 'master' }, yearsInSpecialty: 2.5, residence: { residencePermit: true } } as const;

describe('the check_eligibility tool', () => {
  it('is named check_eligibility and described for a model', () => {
    expect(tool.name).toBe('check_eligibility');
    expect(tool.description).toMatch(/never judge\s+eligibility yourself/);
    expect(tool.description).toMatch(/missing/);
  });

  it('offers a JSON schema with every field described', () => {
    const schema = toJsonSchema(tool.schema as never) as { properties: Record<string, { description?: string; properties?: Record<string, unknown> }> };
    for (const name of ['series', 'targetLevel', 'jurisdiction', 'education', 'yearsInSpecialty', 'currentTitle', 'residence']) expect(schema.properties).toHaveProperty(name);
    expect(schema.properties.series.description).toMatch(/engineering/);
    expect(JSON.stringify(schema.properties.education)).toContain('second_bachelor');
  });

  it('returns JSON for the model, evaluated at now()', async () => {
    // With content_and_artifact, a plain call returns the content only (LangChain types it as the pair).
    const content: unknown = await tool.invoke(EXAMPLE);
    expect(typeof content).toBe('string');
    const parsed = JSON.parse(content as string);
    expect(parsed.asOf).toBe('2025-06-01');
    expect(parsed.overall.status).toBe('eligible');
    expect(parsed.routes[0].citations[0].ruleId).toBe('sh-eng-int-2');
    expect(parsed.explanation.zh).toContain('可以申报');
    expect(parsed.explanation.en).toContain('eligible');
  });

  it('returns the full result as the artifact of a tool call', async () => {
    const message = await tool.invoke({ id: 'call_1', name: 'check_eligibility', type: 'tool_call', args: { ...EXAMPLE, education: { degree: 'bachelor' }, yearsInSpecialty: 3 } });
    expect(message).toBeInstanceOf(ToolMessage);
    const result = (message as ToolMessage).artifact as EligibilityResult;
    expect(result.overall.status).toBe('not_yet');
    expect(result.routes.find((v) => v.route === 'regular')?.earliest).toBe('2027-06-01');
  });

  it('rejects invalid facts with an error that names the field', async () => {
    await expect(tool.invoke({ ...EXAMPLE, education: { degree: 'college' } } as never)).rejects.toThrow(/education\.degree/);
  });
});
