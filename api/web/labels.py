"""Names people read for the codes the domain uses: statuses, actions, stages, roles, notice kinds.

English message ids, marked with N_ for extraction and translated (to Chinese by default) where shown.
"""

from __future__ import annotations

from api.web.i18n import N_

STATUS: dict[str, str] = {
    "draft": N_("Draft"),
    "submitted": N_("Waiting for sign-for"),
    "returned": N_("Returned for correction"),
    "declined": N_("Declined, awaiting redirect"),
    "accepted": N_("Signed for"),
    "in_progress": N_("In progress"),
    "scheduled": N_("On-site date agreed"),
    "completed": N_("Completed, awaiting confirmation"),
    "confirmed": N_("Confirmed"),
    "withdrawn": N_("Withdrawn"),
}

# The button on an action's form.
ACTION: dict[str, str] = {
    "submit": N_("Submit the delegation"),
    "sign_for": N_("Sign for"),
    "return_for_correction": N_("Return for correction"),
    "resubmit": N_("Resubmit after correction"),
    "decline": N_("Decline (not our jurisdiction)"),
    "redirect": N_("Redirect to another court"),
    "assign_handler": N_("Assign the handler"),
    "schedule": N_("Agree the on-site date"),
    "record_result": N_("Record the results"),
    "complete": N_("Complete with the receipt"),
    "request_extension": N_("Request an extension"),
    "approve_extension": N_("Approve the extension"),
    "refuse_extension": N_("Refuse the extension"),
    "confirm": N_("Confirm the result"),
    "request_rework": N_("Request rework"),
    "withdraw": N_("Withdraw the delegation"),
    "expire_correction": N_("Not corrected in time: deemed withdrawn"),
    "report_progress": N_("Report the state of execution"),
    "request_superior_order": N_("Ask the superior court to order execution"),
}

# How a document was served (民诉法 第八十七条 to 第九十五条), as the 送达回证 says.
SERVICE_METHOD: dict[str, str] = {
    "direct": N_("Served in person"),
    "lodged": N_("Left at the residence"),
    "electronic": N_("Served electronically"),
    "post": N_("Served by post"),
    "forwarded": N_("Served through the unit"),
    "public_notice": N_("Served by public notice"),
}

# What happened, in the timeline.
EVENT: dict[str, str] = {
    "create": N_("Draft created"),
    "edit": N_("Draft edited"),
    "submit": N_("Delegation submitted"),
    "sign_for": N_("Signed for"),
    "return_for_correction": N_("Returned for correction"),
    "resubmit": N_("Resubmitted after correction"),
    "decline": N_("Declined as not its jurisdiction"),
    "redirect": N_("Redirected to another court"),
    "assign_handler": N_("Handler assigned"),
    "schedule": N_("On-site date agreed"),
    "record_result": N_("Results recorded"),
    "complete": N_("Matter completed"),
    "request_extension": N_("Extension requested"),
    "approve_extension": N_("Extension approved"),
    "refuse_extension": N_("Extension refused"),
    "confirm": N_("Result confirmed"),
    "request_rework": N_("Rework requested"),
    "withdraw": N_("Withdrawn"),
    "expire_correction": N_("Not corrected in time: deemed withdrawn"),
    "upload_document": N_("Document uploaded"),
    "remove_document": N_("Document replaced in the draft"),
    "message": N_("Message"),
    "notice_reminder": N_("Deadline reminder"),
    "notice_urge": N_("Urging notice (催办)"),
    "notice_supervise": N_("Supervision notice (督办)"),
    "notice_escalate": N_("Escalated to the regional coordinator"),
    "acknowledge_notice": N_("Supervision notice acknowledged"),
    "recompute_due": N_("Deadline recomputed"),
    "report_progress": N_("State of execution reported"),
    "request_superior_order": N_("Superior court asked to order execution"),
    "statutory_breach": N_("Statutory period expired"),
    "supervise_drafted": N_("Supervision notice drafted for the superior court"),
    "network_requested": N_("Handed to the registry connector (网络办理)"),
    "network_handed_back": N_("Handed back to manual handling by the network"),
}

# 网络查控 (docs/network.md): how a matter went, a round's state, a registry's answer code.
NETWORK_MODE: dict[str, str] = {
    "network": N_("By network"),
    "network_pending": N_("By network, under way"),
    "handed_back": N_("Handed back to the clerks"),
    "manual": N_("By hand"),
}

NETWORK_STATUS: dict[str, str] = {
    "queued": N_("Queued for the registry"),
    "running": N_("With the registry"),
    "recorded": N_("Results recorded, completing"),
    "done": N_("Completed by network"),
    "handed_back": N_("Handed back to the clerks"),
}

NETWORK_TRIGGER: dict[str, str] = {
    "auto": N_("signed for by the system (the court accepts such matters automatically)"),
    "clerk": N_("handed over by a clerk (网络办理)"),
}

REGISTRY: dict[str, str] = {
    "real_estate": N_("Real estate registry"),
    "vehicle": N_("Vehicle registry"),
    "equity": N_("Equity registry"),
    "housing_fund": N_("Housing provident fund"),
    "social_security": N_("Social security"),
    "bank": N_("Bank"),
}

ANSWER_CODE: dict[str, str] = {
    "found": N_("Done as asked"),
    "partial": N_("Partly done"),
    "not_found": N_("Nothing registered"),
    "already_sealed": N_("Already sealed by another court (轮候)"),
    "rejected": N_("Refused by the registry"),
    "error": N_("Registry error"),
    "closed": N_("Registry closed"),
    "timeout": N_("No answer in time"),
    "refused": N_("Refused by the registry"),
    "bad_signature": N_("Answer with a bad signature"),
    "not_answered": N_("Not answered"),
}

QUERY_STATUS: dict[str, str] = {
    "planned": N_("Planned"),
    "sent": N_("Sent, waiting for the answer"),
    "answered": N_("Answered"),
    "failed": N_("No usable answer"),
}

NETWORK_ACTION: dict[str, str] = {
    "inquire": N_("Inquiry"),
    "seal": N_("Seizure or freeze"),
    "renew": N_("Renewal of a seizure or freeze"),
    "release": N_("Release of a seizure or freeze"),
}

PRIORITY: dict[str, str] = {
    "first": N_("First seizure (首封)"),
    "waiting": N_("Waiting in line (轮候)"),
}

STAGE: dict[str, str] = {
    "sign_for": N_("Sign-for"),
    "correction": N_("Correction"),
    "plan": N_("Support plan"),
    "execution": N_("Execution"),
    "confirmation": N_("Confirmation"),
    "redirect": N_("Redirect"),
}

ROLE: dict[str, str] = {
    "requesting_officer": N_("Officer in charge (requesting)"),
    "assisting_clerk": N_("Clerk (assisting)"),
    "handler": N_("Handler"),
    "command_center": N_("Enforcement command center"),
    "regional_coordinator": N_("Five-city coordinator"),
    "admin": N_("Administrator"),
    "system": N_("System"),
}

# The part someone played on a delegation (event rows keep it).
ACTING_ROLE: dict[str, str] = {
    "requester": N_("Requesting court"),
    "assisting": N_("Assisting court"),
    "command_center": N_("Command center"),
    "regional": N_("Regional coordinator"),
    "system": N_("System"),
}

NOTICE_KIND: dict[str, str] = {
    "reminder": N_("Deadline reminder"),
    "urge": N_("Urging notice (催办)"),
    "supervise": N_("Supervision notice (督办)"),
    "escalate": N_("Escalation"),
}

OUTCOME: dict[str, str] = {
    "done": N_("Done"),
    "partial": N_("Partly done"),
    "not_found": N_("Not found"),
    "failed": N_("Could not be done"),
}

RETURN_REASON: dict[str, str] = {
    "missing_documents": N_("Legal documents incomplete"),
    "unclear_target": N_("Target of enforcement unclear"),
    "wrong_documents": N_("Errors in the documents"),
    "other": N_("Other"),
}

DOCUMENT_KIND: dict[str, str] = {
    "letter_of_delegation": N_("Letter of delegation (委托函)"),
    "enforcement_ruling": N_("Enforcement ruling"),
    "assistance_notice": N_("Notice of assistance in enforcement"),
    "officer_credentials": N_("Officers' credentials"),
    "announcement": N_("Public announcement (公告)"),
    "documents_to_serve": N_("Legal documents to be served"),
    "receipt": N_("Receipt (回执)"),
    "correction": N_("Supplementary material"),
    "other": N_("Other documents"),
}

MECHANISM: dict[str, str] = {
    "matter_delegation": N_("Matter delegation (事项委托)"),
    "onsite_assistance": N_("On-site assistance (异地执行协助)"),
}

UNIT: dict[str, str] = {
    "working": N_("working days"),
    "calendar": N_("calendar days"),
}

CITY: dict[str, str] = {
    "青岛": N_("Qingdao"),
    "烟台": N_("Yantai"),
    "潍坊": N_("Weifang"),
    "威海": N_("Weihai"),
    "日照": N_("Rizhao"),
}

STOP_REASON: dict[str, str] = {
    "return_for_correction": N_("Returned for correction: waiting on the requesting court"),
}

# Who holds the ball and what they must do next, by status (%(court)s: the court that holds it).
NEXT_STEP: dict[str, str] = {
    "draft": N_("Waiting for %(court)s to submit"),
    "submitted": N_("Waiting for %(court)s to sign for"),
    "returned": N_("Waiting for %(court)s to correct and resubmit"),
    "declined": N_("Waiting for the command center to redirect"),
    "accepted": N_("Waiting for %(court)s to do the work"),
    "in_progress": N_("Waiting for %(court)s to do the work"),
    "scheduled": N_("Waiting for %(court)s to act on the agreed date"),
    "completed": N_("Waiting for %(court)s to confirm the result"),
    "confirmed": N_("Closed: the result is confirmed"),
    "withdrawn": N_("Closed: withdrawn"),
}
HELD_BY_REQUESTER = frozenset({"draft", "returned", "completed"})

WAITING_STAGE: dict[str, str] = {
    "sign_for": N_("To sign for"),
    "correct": N_("To correct"),
    "do": N_("To do"),
    "confirm": N_("To confirm"),
}

# What an inbox item is about (its topic), for the 消息中心's filters and rows.
INBOX_TOPIC: dict[str, str] = {
    "transition": N_("The other court acted"),
    "message": N_("Messages"),
    "notice": N_("Reminders and supervision"),
    "acknowledgement": N_("Acknowledgements"),
    "assignment": N_("Assigned to me"),
    "digest": N_("Daily summaries"),
}

VIEW: dict[str, str] = {
    "waiting": N_("Waiting on us"),
    "mine": N_("Handled by me"),
    "outbox": N_("Sent by us"),
    "inbox": N_("Assisted by us"),
    "all": N_("All matters"),
}

SORT: dict[str, str] = {
    "newest": N_("Newest first"),
    "oldest": N_("Oldest first"),
    "due": N_("Due soonest first"),
}

# Done-messages after a form (?ok=<code>); actions use their event label.
DONE: dict[str, str] = {
    "draft_saved": N_("The draft is saved. Check the preview of the letter, then submit it."),
    "draft_edited": N_("The changes are saved. Check the preview of the letter, then submit the draft."),
    "uploaded": N_("The document is uploaded."),
    "message_sent": N_("The message is sent."),
    "notice_issued": N_("The notice is issued."),
    "supervision_issued": N_("The supervision notices are issued."),
    "acknowledged": N_("The supervision notice is acknowledged."),
    "network_requested": N_("Handed to the registry connector: the answers will be recorded here."),
    "connector_saved": N_("The connector is saved."),
}

# Page-level messages for domain errors, by their stable code (Chinese pages show the domain's own title).
PROBLEM: dict[str, str] = {
    "validation_failed": N_("Please correct the marked fields."),
    "not_found": N_("Not found, or not visible to you."),
    "permission_denied": N_("Your role does not allow this."),
    "transition_not_allowed": N_("This action is not possible in the current state; the current state is shown."),
    "conflict": N_("Someone else changed this matter meanwhile; the current state is shown."),
    "not_authenticated": N_("Please log in."),
    "too_many_attempts": N_("Too many failed logins; please wait and try again."),
    "payload_too_large": N_("The file is too large."),
    "unsupported_media_type": N_("Only PDF, JPEG or PNG scans are accepted."),
    "csrf": N_("The form has expired; reload the page and try again."),
    "internal_error": N_("Something went wrong on our side; it has been logged. Please try again."),
    "unavailable": N_("The service is briefly unavailable; please try again in a few seconds."),
}

# The statistics page's figures: name and definition (delegation.statistics.model.KPIS says the same in Chinese).
KPI: dict[str, str] = {
    "sign_rate": N_("Signed for on time"),
    "return_rate": N_("Return rate"),
    "on_time_rate": N_("Completed on time"),
    "mean_days": N_("Mean working days"),
    "overdue": N_("Overdue matters"),
    "overdue_days": N_("Working days overdue"),
    "supervisions": N_("Supervision notices"),
    "ack_hours": N_("Mean hours to acknowledge"),
}
KPI_DEFINITION: dict[str, str] = {
    "sign_rate": N_(
        "Sign-for answers (signed for, returned, declined) given within the sign-for period, of all answers given."
    ),
    "return_rate": N_("Matters returned for correction at least once, of the matters answered (per matter)."),
    "on_time_rate": N_("Completions within the execution period (extensions and stops included), of all completions."),
    "mean_days": N_("Working days from sign-for to completion of the matters completed, without stopped time."),
    "overdue": N_("Matters whose period held by the court began to be overdue, once per matter and court."),
    "overdue_days": N_(
        "Working days of delay in the period, each charged to the court that held the matter then (through the "
        "closing day; for a period still running, through yesterday)."
    ),
    "supervisions": N_("Supervision notices issued to the court."),
    "ack_hours": N_("Mean hours from issue to acknowledgement of the supervision notices acknowledged."),
}
DRILL: dict[str, str] = {
    "sign_answers": N_("Sign-for answers"),
    "sign_on_time": N_("Sign-for answers on time"),
    "sign_late": N_("Late sign-for answers"),
    "answered": N_("Matters answered"),
    "returned": N_("Matters returned for correction"),
    "completed": N_("Matters completed"),
    "completed_on_time": N_("Matters completed on time"),
    "completed_late": N_("Matters completed late"),
    "overdue": N_("Overdue matters"),
    "delayed": N_("Matters with working days overdue"),
    "supervised": N_("Matters supervised"),
}
PERIOD_KIND: dict[str, str] = {
    "month": N_("Month"),
    "quarter": N_("Quarter"),
    "year": N_("Year"),
    "range": N_("Date range"),
}
