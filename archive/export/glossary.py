"""English glosses of the national forms' rows and columns, for the data dictionary (the Chinese wording is the
schema's own: `pipelines.schema`), and how a 2019 field compares with a 2021 one.

Keyed like the schema's labels; the export tests check that every field of both forms has a meaning and a unit.
"""
from __future__ import annotations

ACTIVE_ROWS = {
    "regulations": "rules (规章)",
    "normative_docs": "normative documents",
    "licensing": "administrative licensing",
    "other_services": "other external administrative services",
    "punishment": "administrative penalties",
    "coercion": "administrative coercion",
    "fees": "administrative fees",
    "procurement": "government centralised procurement",
}
ACTIVE_COLUMNS = {
    "issued": "issued this year",
    "repealed": "repealed this year",
    "in_force": "in force",
    "decisions": "decisions made this year",
    "amount_10k_yuan": "amount",
    "new_made": "newly made this year",
    "new_published": "newly published this year",
    "total_published": "published in total",
    "prev_year_items": "items the year before",
    "change": "change this year (+/−)",
    "items": "procurement items",
}
APPLICANTS = {
    "natural_person": "natural persons",
    "commercial": "legal persons or other organisations: commercial enterprises",
    "research": "legal persons or other organisations: research institutions",
    "social_welfare": "legal persons or other organisations: social welfare organisations",
    "legal_service": "legal persons or other organisations: legal service organisations",
    "other_org": "legal persons or other organisations: other",
    "total": "all applicants",
}
APPLICATION_ROWS = {
    "new_received": "new applications received this year",
    "carried_over": "applications carried over from the year before",
    "granted": "result: disclosed",
    "partial": "result: partly disclosed",
    "denied_state_secret": "not disclosed: state secret",
    "denied_law_forbidden": "not disclosed: forbidden by other laws or administrative regulations",
    "denied_three_safety": "not disclosed: would endanger national, public, economic security or social stability",
    "denied_third_party": "not disclosed: protects a third party's lawful rights",
    "denied_internal_affairs": "not disclosed: internal affairs information (three kinds)",
    "denied_process_info": "not disclosed: process information (four kinds)",
    "denied_enforcement_file": "not disclosed: administrative enforcement case file",
    "denied_admin_query": "not disclosed: administrative query matter",
    "unable_not_held": "cannot be provided: not held by this agency",
    "unable_need_create": "cannot be provided: would have to be created",
    "unable_unclear": "cannot be provided: still unclear after correction",
    "not_processed_petition": "not processed: petitions, reports and complaints",
    "not_processed_repeat": "not processed: repeated application",
    "not_processed_publication": "not processed: asks for public publications",
    "not_processed_massive": "not processed: numerous repeated applications without good reason",
    "not_processed_confirm": "not processed: asks to confirm or reissue information already obtained",
    "other_overdue_correction": "other handling: applicant did not complete the application in time",
    "other_overdue_fee": "other handling: applicant did not pay the fee in time",
    "other_other": "other handling: other",
    "other": "other handling (one row)",
    "total_processed": "results in total",
    "carried_forward": "carried forward to next year",
}
REVIEW_GROUPS = {
    "review": "administrative reconsideration",
    "litigation_direct": "administrative litigation without reconsideration first",
    "litigation_after_review": "administrative litigation after reconsideration",
}
REVIEW_COLUMNS = {
    "upheld": "decision upheld",
    "corrected": "decision corrected",
    "other_result": "other result",
    "pending": "not yet concluded",
    "total": "total",
}

# Section 二 is a different table in each form; where a field has no same-named counterpart, what an analyst
# comparing years can use instead (by schema key; the dictionary shows them as export column names).
ACTIVE_ACROSS_FORMS = {
    "active.regulations.new_made": "nearest 2021 field: active.regulations.issued (本年制发件数)",
    "active.normative_docs.new_made": "nearest 2021 field: active.normative_docs.issued (本年制发件数)",
    "active.regulations.issued": "nearest 2019 field: active.regulations.new_made (本年新制作数量)",
    "active.normative_docs.issued": "nearest 2019 field: active.normative_docs.new_made (本年新制作数量)",
    "active.regulations.total_published": "not comparable with active.regulations.in_force (2021: documents in "
                                          "force, not documents published)",
    "active.normative_docs.total_published": "not comparable with active.normative_docs.in_force (2021: documents "
                                             "in force, not documents published)",
    "active.regulations.in_force": "no 2019 counterpart (2019 counted documents published in total)",
    "active.normative_docs.in_force": "no 2019 counterpart (2019 counted documents published in total)",
    "active.fees.amount_10k_yuan": "no 2019 counterpart (2019 counted fee items: active.fees.prev_year_items, "
                                   "active.fees.change)",
}
NO_2021_COUNTERPART = "no 2021 counterpart"
NO_2019_COUNTERPART = "no 2019 counterpart"
SAME_IN_BOTH = "same field in both forms"
