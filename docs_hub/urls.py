app_name = "docs_hub"
urlpatterns = []
