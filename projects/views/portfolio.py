"""The portfolio page: every project the user is a member of, one row each."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from .. import selectors


@login_required
def portfolio(request):
    field, descending = selectors.parse_portfolio_sort(request.GET.get("sort"))
    rows = selectors.portfolio_rows(user=request.user, sort=f"{'-' if descending else ''}{field}")
    base = reverse("portfolio")
    columns = [
        {
            "field": name,
            "label": label,
            "current": name == field,
            "descending": name == field and descending,
            # A click on the current column reverses it; on another, sorts by it.
            "url": f"{base}?sort={'-' if name == field and not descending else ''}{name}",
        }
        for name, label in selectors.PORTFOLIO_SORTS.items()
    ]
    return render(
        request,
        "projects/portfolio.html",
        {
            "rows": rows,
            "columns": {c["field"]: c for c in columns},
            "sort": field,
            "sort_label": selectors.PORTFOLIO_SORTS[field],
            "descending": descending,
            "today": timezone.localdate(),
        },
    )
