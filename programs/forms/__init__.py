"""Every form of the app, one home each: `fields` (the number and date fields and the scoped bases),
`workspace` (the operator's pages), `bulk` (the activity page's bulk entry), `filters` (the list filters),
`reports` (the report filters and the quarter's note), `achievements` (the capaian's month and the manual
achievement), `imports` (the upload) and `plan` (the plan's RO rows). Import them from here.
"""

from .achievements import AchievementForm, CapaianFilterForm
from .bulk import BulkFirmsForm, BulkHandoverForm, BulkOutputForm
from .cashplan import CashPlanForm
from .fields import (
    DATE_WIDGET,
    ModelForm,
    QuantityField,
    QuantityInput,
    RupiahField,
    ScopedForm,
    formfield_for,
)
from .filters import ActivityFilter, AllocationFilter, FirmFilter, PartnerFilter
from .imports import UploadForm
from .plan import PlanFormSet, PlanRowForm
from .reports import QuarterlyNoteForm, ReportFilterForm
from .workspace import (
    ActivityForm,
    AttachmentForm,
    BudgetRevisionForm,
    FirmForm,
    HandoverForm,
    NewFirmParticipationForm,
    NoteForm,
    OutputForm,
    ParticipantForm,
    ParticipationForm,
    PartnerForm,
    RealisationForm,
)

__all__ = [
    "DATE_WIDGET",
    "AchievementForm",
    "ActivityFilter",
    "ActivityForm",
    "AllocationFilter",
    "AttachmentForm",
    "BudgetRevisionForm",
    "BulkFirmsForm",
    "BulkHandoverForm",
    "BulkOutputForm",
    "CapaianFilterForm",
    "CashPlanForm",
    "FirmFilter",
    "FirmForm",
    "HandoverForm",
    "ModelForm",
    "NewFirmParticipationForm",
    "NoteForm",
    "OutputForm",
    "ParticipantForm",
    "ParticipationForm",
    "PartnerFilter",
    "PartnerForm",
    "PlanFormSet",
    "PlanRowForm",
    "QuantityField",
    "QuantityInput",
    "QuarterlyNoteForm",
    "RealisationForm",
    "ReportFilterForm",
    "RupiahField",
    "ScopedForm",
    "UploadForm",
    "formfield_for",
]
