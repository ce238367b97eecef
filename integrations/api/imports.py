"""Import jobs over REST: the progress and outcome of an upload being imported."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from .. import selectors
from .serializers import ImportJobSerializer


class ImportJobDetail(generics.GenericAPIView):
    """Readable by whoever started the job and by the admins of its project."""

    permission_classes = [IsAuthenticated]
    serializer_class = ImportJobSerializer

    @extend_schema(operation_id="imports_retrieve", responses={200: ImportJobSerializer})
    def get(self, request, job_id):
        job = selectors.import_job_for(user=request.user, job_id=job_id)
        if job is None:
            raise Http404
        return Response(ImportJobSerializer(job).data)
