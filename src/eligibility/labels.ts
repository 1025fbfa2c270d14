import type { Bilingual, Degree, Flag, Level, Route, Status } from './schema.js';

/** Words the engine and the explanation put around numbers and names taken from rules and facts. */

export const LEVEL_NAMES: Record<Level, Bilingual> = {
  junior: { zh: '员级', en: 'junior (clerk) level' },
  assistant: { zh: '助理级', en: 'assistant level' },
  intermediate: { zh: '中级', en: 'intermediate level' },
  associate_senior: { zh: '副高级', en: 'associate-senior level' },
  senior: { zh: '正高级', en: 'full-senior level' },
};

export const ROUTE_NAMES: Record<Route, Bilingual> = {
  regular: { zh: '常规评审', en: 'regular evaluation' },
  exam: { zh: '考试（以考代评或考评结合）', en: 'exam route' },
  recognition: { zh: '认定', en: 'recognition' },
  overseas_qualification: { zh: '海外职业资格认可', en: 'overseas-qualification recognition' },
  green_channel: { zh: '绿色通道', en: 'green channel' },
  direct_train: { zh: '直通车', en: 'direct train' },
  recommendation: { zh: '“人才推荐人才”', en: 'talent recommendation' },
  overpass: { zh: '技能人才贯通（立交桥）', en: 'skills-to-titles overpass' },
};

export const STATUS_NAMES: Record<Status, Bilingual> = {
  eligible: { zh: '可以申报', en: 'eligible' },
  not_yet: { zh: '年限未到，暂不能申报', en: 'not yet' },
  needs_info: { zh: '待确认', en: 'to be confirmed' },
  not_eligible: { zh: '不符合', en: 'not eligible' },
};

export const DEGREE_NAMES: Record<Degree, Bilingual> = {
  secondary_vocational: { zh: '中专（高中）', en: 'secondary vocational (senior high) education' },
  junior_college: { zh: '大专', en: 'junior-college (大专) diploma' },
  bachelor: { zh: '本科（学士）', en: "bachelor's degree" },
  second_bachelor: { zh: '第二学士学位', en: "second bachelor's degree" },
  master: { zh: '硕士研究生', en: "master's degree" },
  phd: { zh: '博士', en: 'doctorate' },
};

export const JURISDICTION_NAMES = { shanghai: { zh: '上海', en: 'Shanghai' }, national: { zh: '全国', en: 'national' } } as const;

/** How each boolean fact reads as a requirement. */
export const FLAG_NAMES: Record<Flag, Bilingual> = {
  'education.fieldRelated': { zh: '所学专业与申报系列相关（工程系列为理工科）', en: 'a degree in a related field (science or engineering for the engineering series)' },
  'education.relatedJuniorCollegeDiploma': { zh: '另有理工科大专学历', en: 'also a science/engineering junior-college diploma' },
  'education.inService': { zh: '在职取得的学历', en: 'a degree earned by in-service study' },
  'residence.hukou': { zh: '上海户籍', en: 'Shanghai hukou' },
  'residence.residencePermit': { zh: '有效的《上海市居住证》', en: 'a valid Shanghai Residence Permit' },
  'residence.overseasTalentResidencePermit': { zh: '上海海外人才居住证', en: 'a Shanghai Overseas Talent Residence Permit' },
  'overseas.tookPartInEarlierRound': { zh: '参加过此前轮次的海外职业资格职称认定', en: 'a participant in an earlier round of overseas-qualification recognition' },
  'awards.chinaSkillsAward': { zh: '中华技能大奖获得者', en: 'a China Skills Award winner' },
  'awards.stateCouncilSpecialAllowance': { zh: '享受国务院特殊津贴', en: 'a State Council special allowance recipient' },
  'specialRoute.outstandingAchievements': { zh: '能力突出、业绩优秀', en: 'genuine ability and outstanding results' },
  'specialRoute.peerExpertRecommendation': { zh: '有同行专家推荐', en: 'a recommendation from peer experts' },
  'specialRoute.youngKeyTechBreakthrough': { zh: '青年科技人才，攻克关键核心技术、取得国际领先原创成果或承担国家重大科技任务取得突破', en: 'young sci-tech talent who cracked key core technologies, achieved internationally leading original results, or led major national tasks to breakthroughs' },
  'specialRoute.overseasHighLevelTalent': { zh: '本市用人单位引进的海外高层次科技人才', en: 'overseas high-level sci-tech talent introduced by a Shanghai employer' },
  'specialRoute.privateSectorOutstandingContribution': { zh: '作出突出贡献的民营企业高层次人才', en: 'high-level private-sector talent with outstanding contributions' },
  'specialRoute.recommendedByTopTalent': { zh: '顶尖技术团队核心成员，获战略科学家、领军人才或关键技术团队负责人推荐', en: 'a core member of a top technical team, recommended by a strategic scientist, peak talent or key-technology team leader' },
  'specialRoute.highSkilledWorker': { zh: '高技能人才', en: 'a high-skilled worker' },
  'specialRoute.aiCoreEnterpriseNominee': { zh: '获入选名单的人工智能核心企业推荐', en: 'nominated by a listed core AI enterprise' },
  'specialRoute.onlineLiteratureWorks': { zh: '有达到规定字数、首发于持证网站的签约完结原创作品', en: 'signed, completed original works of the required length first published on a licensed site' },
  'exams.passedIntermediateEconStatAudit': { zh: '已通过经济、统计或审计专业中级考试', en: 'passed the national intermediate exam in economics, statistics or auditing' },
  'retirement.retired': { zh: '已退休', en: 'already retired' },
  'retirement.reachesStatutoryAgeThisYear': { zh: '当年达到法定退休年龄', en: 'reaching statutory retirement age this year' },
  'retirement.seniorExpertExtension': { zh: '经批准延长退休的高级专家', en: 'an approved senior-expert extension' },
  'lastYear.failedShanghaiSeniorEvaluation': { zh: '上一年度参加上海高级职称评审未通过', en: 'failed the Shanghai senior evaluation last year' },
  'lastYear.newMajorResults': { zh: '此后取得省部级以上奖项或出版专著等重大新成果', en: 'major new results since then (a provincial/ministerial award or a published monograph)' },
  'integrity.fraudSanction': { zh: '职称申报中被认定弄虚作假', en: 'a finding of false materials in a title application' },
};

/** How each fact path reads when we ask for it. */
export const FACT_NAMES: Record<string, Bilingual> = {
  series: { zh: '申报的职称系列', en: 'the title series' },
  targetLevel: { zh: '申报的层级', en: 'the level you apply for' },
  'education.degree': { zh: '最高学历', en: 'your highest degree' },
  'education.fieldRelated': { zh: '所学专业是否与申报系列相关（理工科）', en: 'whether your degree is in a related (science/engineering) field' },
  'education.relatedJuniorCollegeDiploma': { zh: '是否另有理工科大专学历', en: 'whether you also hold a science/engineering junior-college diploma' },
  yearsInSpecialty: { zh: '从事本专业工作的年限', en: 'years of work in your specialty' },
  'currentTitle.level': { zh: '现有职称层级', en: 'the title you hold now' },
  'currentTitle.series': { zh: '现有职称所属系列', en: 'the series of your current title' },
  'currentTitle.yearsHeld': { zh: '取得现有职称的年限（或取得日期）', en: 'how long you have held your current title (or the date you obtained it)' },
  residence: { zh: '上海户籍、居住证或社保情况', en: 'your Shanghai hukou, Residence Permit or social insurance' },
  'residence.hukou': { zh: '是否有上海户籍', en: 'whether you have Shanghai hukou' },
  'residence.residencePermit': { zh: '是否持有效《上海市居住证》', en: 'whether you hold a valid Shanghai Residence Permit' },
  'residence.overseasTalentResidencePermit': { zh: '是否持上海海外人才居住证', en: 'whether you hold an Overseas Talent Residence Permit' },
  'residence.socialInsuranceMonthsLast24': { zh: '近24个月在上海缴纳社保的月数', en: 'months of Shanghai social insurance in the last 24 months' },
  'residence.socialInsuranceMonthsLast12': { zh: '近12个月在上海缴纳社保的月数', en: 'months of Shanghai social insurance in the last 12 months' },
  'overseas.listVersion': { zh: '海外职业资格证书所在认可清单的版本', en: 'which version of the overseas-qualification list your certificate is on' },
  'overseas.category': { zh: '证书在清单中的类别', en: "your certificate's category on that list" },
  'integrity.fraudSanctionDate': { zh: '被认定弄虚作假的日期', en: 'the date of the fraud finding' },
};
/** Yes/no facts as questions in English (Chinese reads naturally as 是否 + the requirement). */
const FLAG_QUESTIONS_EN: Partial<Record<Flag, string>> = {
  'overseas.tookPartInEarlierRound': 'whether you took part in an earlier round of overseas-qualification recognition',
  'awards.chinaSkillsAward': 'whether you won the China Skills Award',
  'awards.stateCouncilSpecialAllowance': 'whether you receive the State Council special allowance',
  'specialRoute.outstandingAchievements': 'whether you have outstanding results',
  'specialRoute.peerExpertRecommendation': 'whether peer experts recommend you',
  'specialRoute.youngKeyTechBreakthrough': 'whether you are young sci-tech talent with a key-technology or major original breakthrough',
  'specialRoute.overseasHighLevelTalent': 'whether a Shanghai employer introduced you as overseas high-level talent',
  'specialRoute.privateSectorOutstandingContribution': 'whether you are high-level private-sector talent with outstanding contributions',
  'specialRoute.recommendedByTopTalent': 'whether a strategic scientist or team leader recommends you as a core team member',
  'specialRoute.highSkilledWorker': 'whether you are a high-skilled worker',
  'specialRoute.aiCoreEnterpriseNominee': 'whether a listed core AI enterprise nominates you',
  'specialRoute.onlineLiteratureWorks': 'whether you have signed, completed online works of the required length',
  'exams.passedIntermediateEconStatAudit': 'whether you passed the intermediate exam in economics, statistics or auditing',
  'retirement.retired': 'whether you are retired',
  'retirement.reachesStatutoryAgeThisYear': 'whether you reach retirement age this year',
  'retirement.seniorExpertExtension': 'whether you have an approved senior-expert extension',
  'lastYear.failedShanghaiSeniorEvaluation': 'whether you failed the Shanghai senior evaluation last year',
  'lastYear.newMajorResults': 'whether you have major new results since (a provincial or ministerial award, or a monograph)',
  'integrity.fraudSanction': 'whether there was a finding of false materials against you',
  'education.inService': 'whether your degree was earned in service',
};
for (const flag of Object.keys(FLAG_NAMES) as Flag[]) {
  if (!FACT_NAMES[flag]) FACT_NAMES[flag] = { zh: `是否${FLAG_NAMES[flag].zh}`, en: FLAG_QUESTIONS_EN[flag] ?? `whether this applies to you: ${FLAG_NAMES[flag].en}` };
}

export const factName = (path: string): Bilingual => FACT_NAMES[path] ?? { zh: path, en: path };

/** Series and title names, generated from knowledge/series.json (a test keeps the two in step).
 *  A level name is kept only where the series gives one name for it (no alternatives, no caveats). */
export const SERIES_NAMES: Record<string, { zh: string; en: string; levels: Partial<Record<Level, Bilingual>> }> = {
  higher_ed_teacher: { zh: "高等学校教师", en: "Higher-education (university) teachers", levels: { assistant: { zh: "助教", en: "Teaching Assistant" }, intermediate: { zh: "讲师", en: "Lecturer" }, associate_senior: { zh: "副教授", en: "Associate Professor" }, senior: { zh: "教授", en: "Professor" } } },
  social_science_research: { zh: "哲学社会科学研究人员", en: "Philosophy & social-science researchers", levels: { assistant: { zh: "研究实习员", en: "Research Intern" }, intermediate: { zh: "助理研究员", en: "Assistant Research Fellow" }, associate_senior: { zh: "副研究员", en: "Associate Research Fellow" }, senior: { zh: "研究员", en: "Research Fellow (Professor-level)" } } },
  natural_science_research: { zh: "自然科学研究人员", en: "Natural-science researchers", levels: { assistant: { zh: "研究实习员", en: "Research Intern" }, intermediate: { zh: "助理研究员", en: "Assistant Research Fellow" }, associate_senior: { zh: "副研究员", en: "Associate Research Fellow" }, senior: { zh: "研究员", en: "Research Fellow (Professor-level)" } } },
  health: { zh: "卫生技术人员", en: "Health technical staff", levels: {} },
  engineering: { zh: "工程技术人员", en: "Engineering", levels: { junior: { zh: "技术员", en: "Technician" }, assistant: { zh: "助理工程师", en: "Assistant Engineer" }, intermediate: { zh: "工程师", en: "Engineer" }, associate_senior: { zh: "高级工程师", en: "Senior Engineer (associate-senior)" }, senior: { zh: "正高级工程师", en: "Professor-level Senior Engineer" } } },
  agriculture: { zh: "农业技术人员", en: "Agricultural technology", levels: { junior: { zh: "农业技术员", en: "Agricultural Technician" } } },
  journalism: { zh: "新闻专业人员", en: "Journalism", levels: {} },
  publishing: { zh: "出版专业人员", en: "Publishing", levels: { assistant: { zh: "助理编辑", en: "Assistant Editor" }, intermediate: { zh: "编辑", en: "Editor" }, associate_senior: { zh: "副编审", en: "Associate Senior Editor (副编审)" }, senior: { zh: "编审", en: "Senior Editor (编审)" } } },
  library: { zh: "图书资料专业人员", en: "Library & information (books and materials)", levels: { junior: { zh: "管理员", en: "Library Clerk" }, assistant: { zh: "助理馆员", en: "Assistant Librarian" }, intermediate: { zh: "馆员", en: "Librarian" }, associate_senior: { zh: "副研究馆员", en: "Associate Research Librarian" }, senior: { zh: "研究馆员", en: "Research Librarian" } } },
  cultural_relics_museums: { zh: "文物博物专业人员", en: "Cultural relics & museums", levels: { assistant: { zh: "助理馆员", en: "Assistant Curator" }, intermediate: { zh: "馆员", en: "Curator" }, associate_senior: { zh: "副研究馆员", en: "Associate Research Curator" }, senior: { zh: "研究馆员", en: "Research Curator" } } },
  archives: { zh: "档案专业人员", en: "Archives", levels: { junior: { zh: "管理员", en: "Archives Clerk" }, assistant: { zh: "助理馆员", en: "Assistant Archivist" }, intermediate: { zh: "馆员", en: "Archivist" }, associate_senior: { zh: "副研究馆员", en: "Associate Research Archivist" }, senior: { zh: "研究馆员", en: "Research Archivist" } } },
  arts_crafts: { zh: "工艺美术专业人员", en: "Arts & crafts", levels: { junior: { zh: "工艺美术员", en: "Arts & Crafts Technician" }, assistant: { zh: "助理工艺美术师", en: "Assistant Arts & Crafts Master" }, intermediate: { zh: "工艺美术师", en: "Arts & Crafts Master" }, associate_senior: { zh: "高级工艺美术师", en: "Senior Arts & Crafts Master" }, senior: { zh: "正高级工艺美术师", en: "Full-senior Arts & Crafts Master" } } },
  technical_college_teacher: { zh: "技工院校教师", en: "Technical (skills) college teachers", levels: { junior: { zh: "三级实习指导教师", en: "Grade-3 Practical Instructor" } } },
  primary_secondary_teacher: { zh: "中小学教师", en: "Primary & secondary school teachers", levels: { junior: { zh: "三级教师", en: "Third-grade Teacher" }, assistant: { zh: "二级教师", en: "Second-grade Teacher" }, intermediate: { zh: "一级教师", en: "First-grade Teacher" }, associate_senior: { zh: "高级教师", en: "Senior Teacher" }, senior: { zh: "正高级教师", en: "Full-senior Teacher" } } },
  secondary_vocational_teacher: { zh: "中等职业学校教师", en: "Secondary vocational school teachers", levels: { junior: { zh: "教员", en: "Instructor" }, assistant: { zh: "助理讲师", en: "Assistant Lecturer" }, intermediate: { zh: "讲师", en: "Lecturer" }, associate_senior: { zh: "高级讲师", en: "Senior Lecturer" } } },
  experimental_technology: { zh: "实验技术人员", en: "Experimental (laboratory) technology", levels: { junior: { zh: "实验员", en: "Lab Technician" }, assistant: { zh: "助理实验师", en: "Assistant Experimentalist" }, intermediate: { zh: "实验师", en: "Experimentalist" }, associate_senior: { zh: "高级实验师", en: "Senior Experimentalist" } } },
  economics: { zh: "经济专业人员", en: "Economics", levels: { junior: { zh: "经济员", en: "Economist Clerk" }, assistant: { zh: "助理经济师", en: "Assistant Economist" }, intermediate: { zh: "经济师", en: "Economist" }, associate_senior: { zh: "高级经济师", en: "Senior Economist" }, senior: { zh: "正高级经济师", en: "Full-senior Economist" } } },
  accounting: { zh: "会计专业人员", en: "Accounting", levels: { junior: { zh: "会计员", en: "Accounting Clerk" }, assistant: { zh: "助理会计师", en: "Assistant Accountant" }, intermediate: { zh: "会计师", en: "Accountant" }, associate_senior: { zh: "高级会计师", en: "Senior Accountant" }, senior: { zh: "正高级会计师", en: "Full-senior Accountant" } } },
  statistics: { zh: "统计专业人员", en: "Statistics", levels: { junior: { zh: "统计员", en: "Statistical Clerk" }, assistant: { zh: "助理统计师", en: "Assistant Statistician" }, intermediate: { zh: "统计师", en: "Statistician" }, associate_senior: { zh: "高级统计师", en: "Senior Statistician" }, senior: { zh: "正高级统计师", en: "Full-senior Statistician" } } },
  auditing: { zh: "审计专业人员", en: "Auditing", levels: { junior: { zh: "审计员", en: "Audit Clerk" }, assistant: { zh: "助理审计师", en: "Assistant Auditor" }, intermediate: { zh: "审计师", en: "Auditor" }, associate_senior: { zh: "高级审计师", en: "Senior Auditor" } } },
  art: { zh: "艺术专业", en: "Art (performing & fine arts)", levels: { intermediate: { zh: "三级", en: "Grade-3" }, associate_senior: { zh: "二级", en: "Grade-2" }, senior: { zh: "一级", en: "Grade-1" } } },
  sports: { zh: "体育专业人员", en: "Sports (coaches)", levels: { junior: { zh: "三级教练", en: "Grade-3 Coach" }, assistant: { zh: "二级教练", en: "Grade-2 Coach" }, intermediate: { zh: "一级教练", en: "Grade-1 Coach" }, associate_senior: { zh: "高级教练", en: "Senior Coach" }, senior: { zh: "国家级教练", en: "National-level Coach" } } },
  public_legal_services: { zh: "公共法律服务专业人员", en: "Public legal services", levels: {} },
  literary_creation: { zh: "文学创作", en: "Literary creation (incl. online literature in Shanghai)", levels: { junior: { zh: "网络文学创作专业四级", en: "Online Literary Creation Grade-4 (Shanghai online-literature junior title)" } } },
  translation: { zh: "翻译专业人员", en: "Translation", levels: {} },
};
