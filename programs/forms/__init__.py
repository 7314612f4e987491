"""Every form of the app, one home each: `fields` (the number and date fields and the scoped bases),
`workspace` (the operator's pages), `filters` (the list filters), `reports` (the report filters and the
quarter's note) and `imports` (the upload). Import them from here.
"""

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
    "ActivityFilter",
    "ActivityForm",
    "AllocationFilter",
    "AttachmentForm",
    "BudgetRevisionForm",
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
