"""The experiments page and run comparison over REST: a project's experiments with their
run counts, and params and metrics of 2 to 10 runs side by side."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from projects.api.base import ProjectScopedAPIView

from .. import selectors
from . import serializers as s


class ProjectExperimentsView(ProjectScopedAPIView):
    serializer_class = s.ExperimentSerializer

    @extend_schema(operation_id="project_experiments_list", responses=s.ExperimentSerializer(many=True))
    def get(self, request, key):
        page = self.paginate_queryset(selectors.experiments_for_project(project=self.get_project()))
        return self.get_paginated_response(s.ExperimentSerializer(page, many=True).data)


class RunCompareView(ProjectScopedAPIView):
    serializer_class = s.RunCompareSerializer

    @extend_schema(
        operation_id="project_runs_compare",
        parameters=[
            OpenApiParameter(
                "run",
                str,
                many=True,
                required=True,
                explode=True,
                description=f"Run ids to compare, 2 to {selectors.MAX_COMPARE} (repeat: ?run=a&run=b).",
            )
        ],
        responses=s.RunCompareSerializer,
        description="Each param and metric (latest value) of the runs, one value per run, flagged when they "
        "differ. Unknown run ids are left out; fewer than 2 known runs is a 400 on `run`.",
    )
    def get(self, request, key):
        project = self.get_project()
        run_ids = [r for r in request.query_params.getlist("run") if r]
        if len(run_ids) > selectors.MAX_COMPARE:
            raise ValidationError({"run": [f"Compare at most {selectors.MAX_COMPARE} runs."]})
        runs = selectors.runs_for_compare(project=project, run_ids=run_ids)
        if len(runs) < 2:
            raise ValidationError({"run": ["Name 2 to 10 runs of this project to compare."]})
        return Response(s.RunCompareSerializer({"runs": runs, **selectors.compare_table(runs)}).data)
