from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


def page_of(item: type[serializers.Serializer]) -> serializers.Serializer:
    """The documented shape of one page of `item`s, for views that paginate by hand."""
    return inline_serializer(
        name=item.__qualname__.replace(".", "").removesuffix("Serializer") + "Page",
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )
