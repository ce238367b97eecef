"""One home for each shared helper (issue 10, item 4): a custom field's value reads the
same on a card and on the ticket page, initials are the user model's, and every ticket
link is built by projects.ticket_links."""

import pytest

from accounts.models import User
from projects.fields import custom_field_display
from projects.selectors.board import _initials
from projects.ticket_links import ticket_url, ticket_url_parts


@pytest.mark.parametrize(
    ("field_type", "value", "shown"),
    [
        ("checkbox", True, "Yes"),
        ("checkbox", False, "No"),
        ("checkbox", None, ""),
        ("multi_select", ["a", "b"], "a, b"),
        ("multi_select", [], ""),
        ("number", 0, "0"),
        ("text", "", ""),
    ],
)
def test_one_wording_for_custom_field_values(field_type, value, shown):
    assert custom_field_display(field_type, value) == shown


@pytest.mark.parametrize(
    "person",
    [("dana", "Dana Scully", "", ""), ("fox.m", "", "", ""), ("wsk", "", "Walter", "Skinner"), ("x_y", "", "", "")],
)
def test_card_initials_are_the_user_models(person):
    username, display_name, first_name, last_name = person
    user = User(username=username, display_name=display_name, first_name=first_name, last_name=last_name)
    assert _initials(*person) == user.initials
    assert _initials(None, "", "", "") == ""


def test_ticket_links_are_built_in_one_place():
    prefix, suffix = ticket_url_parts("CV")
    assert f"{prefix}CV-12{suffix}" == ticket_url("CV-12") == "/projects/CV/tickets/CV-12/"
