from django.urls import path

from .views import account, generation, media, prompts, studio, webhooks

urlpatterns = [
    path("", studio.studio, name="studio"),
    path("generations/", studio.create, name="generation_create"),
    path("gallery/", studio.gallery, name="gallery"),
    path("gallery/updates/", studio.gallery_updates, name="gallery_updates"),
    path("generations/<uuid:pk>/", generation.detail, name="generation_detail"),
    path("generations/<uuid:pk>/remix/", studio.remix, name="generation_remix"),
    path("generations/<uuid:pk>/retry/", generation.retry, name="generation_retry"),
    path("generations/<uuid:pk>/delete/", generation.delete, name="generation_delete"),
    path("generations/<uuid:pk>/restore/", generation.restore, name="generation_restore"),
    path("generations/<uuid:pk>/download/", generation.download, name="generation_download"),
    path("account/", account.account, name="account"),
    path("prompts/", prompts.library, name="prompt_library"),
    path("prompts/<int:pk>/", prompts.detail, name="prompt_detail"),
    path("media/<path:path>", media.media, name="media"),
    path("webhooks/apiframe/", webhooks.apiframe, name="apiframe_webhook"),
]
