"""Experiments API: thin views on the project-scoped base; services do the writes."""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.response import Response

from projects.access import Action
from projects.api.base import ProjectScopedAPIView
from projects.models import Ticket

from .. import selectors, services
from ..models import MetricGate, MlflowSource, Run, RunLink, Target, metric_to_json
from . import serializers as s


def with_tickets(runs):
    return runs.prefetch_related(
        Prefetch(
            "links",
            queryset=RunLink.objects.filter(active=True).select_related("ticket").order_by("ticket__number"),
            to_attr="active_links",
        )
    )


class ProjectSourcesView(ProjectScopedAPIView):
    """The project's MLflow sources; admins connect new ones."""

    serializer_class = s.MlflowSourceSerializer
    write_action = Action.ADMIN

    @extend_schema(operation_id="mlflow_sources_list", responses=s.MlflowSourceSerializer(many=True))
    def get(self, request, key):
        project = self.get_project()
        sources = selectors.sources_for_project(project=project)
        page = self.paginate_queryset(sources)
        return self.get_paginated_response(s.MlflowSourceSerializer(page, many=True).data)

    @extend_schema(
        operation_id="mlflow_sources_create",
        request=s.SourceCreateSerializer,
        responses={201: s.MlflowSourceSerializer},
    )
    def post(self, request, key):
        project = self.get_project()
        data = s.SourceCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        source = services.source_create(project=project, user=request.user, **data.validated_data)
        source.last_sync = None
        return Response(s.MlflowSourceSerializer(source).data, status=status.HTTP_201_CREATED)


class SourceTestView(ProjectScopedAPIView):
    """Test connection before connecting a source: does the server answer, which experiments
    exist. Admins; throttled per user (AIHUB_TEST_CONNECTION_THROTTLE, 429 past it)."""

    serializer_class = s.SourceTestSerializer
    write_action = Action.ADMIN

    @extend_schema(
        operation_id="mlflow_source_test", request=s.SourceTestSerializer, responses={200: s.SourceTestResultSerializer}
    )
    def post(self, request, key):
        self.get_project()
        data = s.SourceTestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.source_test_throttle(user=request.user)
        except services.ConnectionTestThrottled as error:
            raise Throttled(wait=error.wait) from error
        ok, message = services.source_test_connection(**data.validated_data)
        return Response({"ok": ok, "message": message})


class SourceDetailView(ProjectScopedAPIView):
    serializer_class = s.MlflowSourceSerializer
    write_action = Action.ADMIN

    def get_source(self) -> MlflowSource:
        source = self.get_scoped_object(MlflowSource.objects.select_related("project"), pk=self.kwargs["source_id"])
        source.last_sync = selectors.last_syncs([source.pk]).get(source.pk)
        return source

    @extend_schema(operation_id="mlflow_source_detail")
    def get(self, request, source_id):
        return Response(s.MlflowSourceSerializer(self.get_source()).data)

    @extend_schema(
        operation_id="mlflow_source_update",
        request=s.SourceUpdateSerializer,
        responses={200: s.MlflowSourceSerializer},
        description="Admins change a source as its settings page does (the same address checks as when "
        "it was connected); only the fields sent change.",
    )
    def patch(self, request, source_id):
        source = self.get_source()
        data = s.SourceUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        services.source_update(source=source, secret=values.pop("secret", None) or None, **values)
        return Response(s.MlflowSourceSerializer(self.get_source()).data)

    @extend_schema(operation_id="mlflow_source_delete", responses={204: None})
    def delete(self, request, source_id):
        services.source_delete(source=self.get_source())
        return Response(status=status.HTTP_204_NO_CONTENT)


class SourceSyncView(ProjectScopedAPIView):
    """Ask for a full sync (every run compared with what is stored) on a worker."""

    serializer_class = s.SyncRecordSerializer
    write_action = Action.EDIT

    @extend_schema(
        operation_id="mlflow_source_sync",
        request=None,
        responses={
            202: s.SyncRecordSerializer,
            503: OpenApiResponse(
                description="The task queue (Redis) is not reachable: nothing was queued, "
                '`{"detail": "message"}`; retry later.'
            ),
        },
    )
    def post(self, request, source_id):
        source = self.get_scoped_object(MlflowSource.objects.select_related("project"), pk=source_id)
        try:
            record = services.source_sync_request(source=source, kind="full", user=request.user)
        except services.SyncQueueUnavailable as error:
            return Response(
                {"detail": str(error)}, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "30"}
            )
        record.refresh_from_db()
        return Response(s.SyncRecordSerializer(record).data, status=status.HTTP_202_ACCEPTED)


class ProjectRunsView(ProjectScopedAPIView):
    serializer_class = s.RunSerializer

    @extend_schema(
        operation_id="project_runs_list",
        responses=s.RunSerializer(many=True),
        parameters=[
            OpenApiParameter("experiment", str, description="Experiment name or MLflow id"),
            OpenApiParameter("ticket", str, description="A ticket key: its linked runs"),
            OpenApiParameter("status", str, description="RUNNING, FINISHED, FAILED, KILLED"),
            OpenApiParameter(
                "q",
                str,
                description=(
                    "Plain text (name, run id, experiment, a key), `metrics.KEY OP NUMBER` (= != < <= > >=), "
                    "`params.KEY = TEXT` or `tags.KEY = TEXT` (= !=); `KEY=TEXT` and `KEY>=NUMBER` are short forms. "
                    "Anything else is a 400 on `q`."
                ),
            ),
            OpenApiParameter("sort", str, description="start_time, name, metrics.KEY, params.KEY; '-' descends"),
            OpenApiParameter("include_deleted", bool),
        ],
    )
    def get(self, request, key):
        project = self.get_project()
        p = request.query_params
        runs = selectors.runs_filtered(
            project=project,
            experiment=p.get("experiment", ""),
            status=p.get("status", ""),
            ticket=p.get("ticket", ""),
            q=p.get("q", ""),
            sort=p.get("sort", ""),
            include_deleted=p.get("include_deleted", "").lower() in ("1", "true"),
        )
        page = self.paginate_queryset(with_tickets(runs))
        return self.get_paginated_response(s.RunSerializer(page, many=True).data)


class RunDetailView(ProjectScopedAPIView):
    serializer_class = s.RunSerializer

    def get_run(self) -> Run:
        return self.get_scoped_object(
            with_tickets(Run.objects.select_related("experiment")).order_by("deleted", "-pk"),
            run_id=self.kwargs["run_id"],
        )

    @extend_schema(operation_id="run_detail")
    def get(self, request, run_id):
        return Response(s.RunSerializer(self.get_run()).data)


class RunMetricHistoryView(RunDetailView):
    serializer_class = s.MetricHistorySerializer

    @extend_schema(operation_id="run_metric_history")
    def get(self, request, run_id, metric_key):
        run = self.get_run()
        history = [
            {**point, "value": metric_to_json(point["value"])}
            for point in selectors.metric_history(run=run, key=metric_key)
        ]
        return Response({"run_id": run.run_id, "key": metric_key, "history": history})


class TicketScopedView(ProjectScopedAPIView):
    def get_ticket(self) -> Ticket:
        return self.get_scoped_ticket(Ticket.objects.select_related("project", "status"), self.kwargs["ticket_key"])

    def run_in_project(self, ticket: Ticket, run_id: str) -> Run:
        from django.core.exceptions import ValidationError

        run = Run.objects.filter(project_id=ticket.project_id, run_id=run_id).order_by("deleted", "-pk").first()
        if run is None:
            raise ValidationError({"run_id": ["No run with this id in the ticket's project."]})
        return run


class TicketRunsView(TicketScopedView):
    serializer_class = s.RunSerializer

    @extend_schema(operation_id="ticket_runs_list", responses=s.RunSerializer(many=True))
    def get(self, request, ticket_key):
        ticket = self.get_ticket()
        runs = with_tickets(
            Run.objects.filter(links__ticket=ticket, links__active=True)
            .select_related("experiment")
            .order_by("-start_time", "pk")
        )
        page = self.paginate_queryset(runs)
        return self.get_paginated_response(s.RunSerializer(page, many=True).data)

    @extend_schema(
        operation_id="ticket_runs_link", request=s.RunLinkCreateSerializer, responses={201: s.RunLinkSerializer}
    )
    def post(self, request, ticket_key):
        ticket = self.get_ticket()
        data = s.RunLinkCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = self.run_in_project(ticket, data.validated_data["run_id"])
        link = services.run_link(run=run, ticket=ticket, user=request.user)
        run = with_tickets(Run.objects.select_related("experiment")).get(pk=run.pk)
        return Response(
            {"ticket": ticket.key, "run_id": run.run_id, "origin": link.origin, "run": s.RunSerializer(run).data},
            status=status.HTTP_201_CREATED,
        )


class TicketRunDetailView(TicketScopedView):
    serializer_class = s.RunLinkSerializer

    @extend_schema(operation_id="ticket_runs_unlink", responses={204: None})
    def delete(self, request, ticket_key, run_id):
        ticket = self.get_ticket()
        run = self.run_in_project(ticket, run_id)
        services.run_unlink(run=run, ticket=ticket, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TicketGatesView(TicketScopedView):
    serializer_class = s.GateSerializer

    @extend_schema(operation_id="ticket_gates_list", responses=s.GateSerializer(many=True))
    def get(self, request, ticket_key):
        ticket = self.get_ticket()
        gates = selectors.gate_statuses_for_tickets([ticket.pk]).get(ticket.pk, [])
        return Response(
            {"count": len(gates), "next": None, "previous": None, "results": s.GateSerializer(gates, many=True).data}
        )

    @extend_schema(
        operation_id="ticket_gates_create", request=s.GateCreateSerializer, responses={201: s.GateSerializer}
    )
    def post(self, request, ticket_key):
        ticket = self.get_ticket()
        data = s.GateCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        gate = services.gate_create(ticket=ticket, user=request.user, **data.validated_data)
        evaluated = next(g for g in selectors.gate_statuses_for_tickets([ticket.pk])[ticket.pk] if g["id"] == gate.pk)
        return Response(s.GateSerializer(evaluated).data, status=status.HTTP_201_CREATED)


class TicketGateDetailView(TicketScopedView):
    serializer_class = s.GateSerializer

    @extend_schema(operation_id="ticket_gates_delete", responses={204: None})
    def delete(self, request, ticket_key, gate_id):
        ticket = self.get_ticket()
        gate = MetricGate.objects.filter(ticket=ticket, pk=gate_id).first()
        if gate is None:
            from django.http import Http404

            raise Http404
        services.gate_delete(gate=gate, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectTargetsView(ProjectScopedAPIView):
    """The project's targets with their best values; members and admins add one."""

    serializer_class = s.TargetSerializer

    @extend_schema(operation_id="project_targets_list", responses=s.TargetSerializer(many=True))
    def get(self, request, key):
        project = self.get_project()
        page = self.paginate_queryset(Target.objects.filter(project=project).select_related("project"))
        return self.get_paginated_response(s.TargetSerializer(selectors.target_progress(page), many=True).data)

    @extend_schema(
        operation_id="project_targets_create", request=s.TargetWriteSerializer, responses={201: s.TargetSerializer}
    )
    def post(self, request, key):
        project = self.get_project()
        data = s.TargetWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = services.target_create(project=project, user=request.user, **data.validated_data)
        return Response(s.TargetSerializer(selectors.target_progress([target])[0]).data, status=status.HTTP_201_CREATED)


class TargetDetailView(ProjectScopedAPIView):
    serializer_class = s.TargetSerializer

    def get_target(self) -> Target:
        return self.get_scoped_object(Target.objects.select_related("project"), pk=self.kwargs["target_id"])

    def answer(self, target: Target) -> Response:
        return Response(s.TargetSerializer(selectors.target_progress([target])[0]).data)

    @extend_schema(operation_id="target_detail")
    def get(self, request, target_id):
        return self.answer(self.get_target())

    @extend_schema(operation_id="target_update", request=s.TargetWriteSerializer(partial=True))
    def patch(self, request, target_id):
        target = self.get_target()
        data = s.TargetWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return self.answer(services.target_update(target=target, user=request.user, changes=data.validated_data))

    @extend_schema(operation_id="target_delete", responses={204: None})
    def delete(self, request, target_id):
        services.target_delete(target=self.get_target(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
