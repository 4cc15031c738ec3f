"""Beneficiaries (服务对象) and their cases: categories, household, guardians, allowances, sensitive fields encrypted at
rest with the purpose each is collected for, consent as its own versioned record, and data-subject requests (PIPL)."""
