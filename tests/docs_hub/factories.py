import factory

from docs_hub import services


def make_doc(project, *, author=None, title=None, body="", parent=None, template=None):
    """A doc made the way users make them: through the service (revision 1, links stored)."""
    return services.doc_create(
        project=project,
        author=author,
        title=title or factory.Faker("sentence").evaluate(None, None, {"locale": None}).rstrip("."),
        body=body,
        parent=parent,
        template=template,
    )
