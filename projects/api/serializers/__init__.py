"""Every serializer of the projects API, split by subject. Import from here:
`from .serializers import TicketSerializer`."""

from .board import (  # noqa: F401
    BoardBadgeSerializer,
    BoardColumnSerializer,
    BoardLabelSerializer,
    BoardSerializer,
    BoardTicketSerializer,
    TicketMoveSerializer,
    TicketPlaceSerializer,
    TicketRankSerializer,
    ticket_place_json,
)
from .planning import (  # noqa: F401
    CustomFieldPatchSerializer,
    CustomFieldSerializer,
    CustomFieldWriteSerializer,
    RelationSerializer,
    SavedViewSerializer,
    StatusPatchSerializer,
    StatusSerializer,
    StatusWriteSerializer,
)
from .projects import (  # noqa: F401
    MembershipCreateSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
    ProjectCreateSerializer,
    ProjectSerializer,
    ProjectUpdateSerializer,
)
from .risks import RiskPatchSerializer, RiskSerializer, RiskWriteSerializer, risk_json  # noqa: F401
from .sprints import (  # noqa: F401
    BurndownPointSerializer,
    BurndownSerializer,
    SprintCompleteSerializer,
    SprintCreateSerializer,
    SprintSerializer,
    SprintStartSerializer,
)
from .tickets import (  # noqa: F401
    BacklinkSerializer,
    CommentCreateSerializer,
    CommentSerializer,
    TicketBulkResultSerializer,
    TicketBulkSerializer,
    TicketPatchSerializer,
    TicketSerializer,
    TicketWriteSerializer,
    ticket_json,
)
