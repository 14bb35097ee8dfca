"""Lead images: uploaded in the admin with alt text, credit and licence; renditions
made once; a responsive <picture> whose every candidate is served on one machine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import features

from newsdesk.news.images import Rendition, crop_box, do_make_renditions, formats
from newsdesk.news.models import Article
from tests.news.admin_forms import article_form

pytestmark = pytest.mark.django_db
PHOTO = Path(__file__).parent / "testdata" / "china.jpg"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def editor(client, django_user_model):
    user = django_user_model.objects.create_user("ed", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editor"))
    client.force_login(user)
    return client


def upload(name="china.jpg", data=None):
    return SimpleUploadedFile(
        name, PHOTO.read_bytes() if data is None else data, content_type="image/jpeg"
    )


def form(category, **overrides):
    fields = {
        "headline": "Harbour lights",
        "body": "<p>Evening.</p>",
        "status": "published",
        "lead_image": upload(),
        "lead_image_alt": "A pagoda roof against a blue sky",
        "lead_image_caption": "The old town.",
        "lead_image_credit": "danielbuechele",
        "lead_image_licence": "CC BY 2.0",
        "lead_image_focal_x": "50",
        "lead_image_focal_y": "50",
        **overrides,
    }
    return article_form(category, **fields)


def test_upload_makes_renditions_and_the_page_serves_a_responsive_image(
    editor, client, tree
):
    response = editor.post("/admin/news/article/add/", form(tree["world"]))
    assert response.status_code == 302, response.content.decode()[-3000:]
    article = Article.objects.get()
    rows = Rendition.objects.filter(original=article.lead_image.name)
    full = rows.filter(kind="full")
    # 640 px original: 480 px and its own width, in every format.
    assert sorted({r.width for r in full}) == [480, 640]
    assert {r.format for r in rows} == set(formats())
    if features.check("avif"):
        assert "avif" in formats()
    crops = rows.filter(kind="16x9")
    assert all(abs(r.width / r.height - 16 / 9) < 0.01 for r in crops)

    page = client.get(article.get_absolute_url()).content.decode()
    figure = page[page.index('<figure class="lead-image">') :]
    figure = figure[: figure.index("</figure>")]
    assert 'type="image/webp"' in figure
    assert 'alt="A pagoda roof against a blue sky"' in figure
    assert 'width="640" height="427"' in figure
    assert 'sizes="(min-width: 64rem) 42rem, 100vw"' in figure
    assert "danielbuechele (CC BY 2.0)" in figure
    urls = set(re.findall(r'(?:src|srcset)="([^"]+)"', figure))
    candidates = {
        part.strip().split(" ")[0] for text in urls for part in text.split(",")
    }
    assert len(candidates) >= 2 * len(formats())
    for url in candidates:
        served = client.get(url)
        assert served.status_code == 200, url
        assert served["Content-Type"].startswith("image/"), url
        assert "immutable" in served["Cache-Control"]
        b"".join(served.streaming_content)


def test_alt_credit_and_licence_are_required_with_an_image(editor, tree):
    response = editor.post(
        "/admin/news/article/add/",
        form(tree["world"], lead_image_alt="", lead_image_licence=""),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "lead_image_alt" in errors and "lead_image_licence" in errors
    assert Article.objects.count() == 0


def test_a_file_that_is_not_an_image_is_refused(editor, tree):
    response = editor.post(
        "/admin/news/article/add/",
        form(tree["world"], lead_image=upload("evil.jpg", b"<script>x</script>")),
    )
    assert response.status_code == 200
    assert "lead_image" in response.context["adminform"].form.errors
    assert Article.objects.count() == 0


def test_an_image_over_the_size_limit_is_refused(editor, tree, settings):
    settings.NEWSDESK_IMAGE_MAX_BYTES = 100_000
    response = editor.post("/admin/news/article/add/", form(tree["world"]))
    assert response.status_code == 200
    assert "the limit is" in str(response.context["adminform"].form.errors)


def test_moving_the_focal_point_remakes_the_crops(editor, tree):
    editor.post("/admin/news/article/add/", form(tree["world"]))
    article = Article.objects.get()
    before = set(
        Rendition.objects.filter(original=article.lead_image.name).values_list(
            "file", flat=True
        )
    )
    data = form(tree["world"], lead_image_focal_x="0", lead_image_focal_y="0")
    del data["lead_image"]
    data["status"] = "published"
    response = editor.post(f"/admin/news/article/{article.pk}/change/", data)
    assert response.status_code == 302
    after = Rendition.objects.filter(original=article.lead_image.name)
    assert {r.focal_x for r in after} == {0}
    assert before.isdisjoint({r.file for r in after})
    assert not any(default_storage.exists(name) for name in before)


def test_crop_box_keeps_the_focal_point_in_view():
    # Landscape 4000x2000 to 16:9: full height, width 3556.
    assert crop_box(4000, 2000, ratio=16 / 9, focal_x=50, focal_y=50) == (
        222, 0, 3778, 2000,
    )  # fmt: skip
    assert crop_box(4000, 2000, ratio=16 / 9, focal_x=0, focal_y=50)[0] == 0
    assert crop_box(4000, 2000, ratio=16 / 9, focal_x=100, focal_y=50)[2] == 4000
    # Portrait 1000x2000: full width, height 562, moved towards the focal point.
    left, top, right, bottom = crop_box(
        1000, 2000, ratio=16 / 9, focal_x=50, focal_y=20
    )
    assert (left, right, bottom - top) == (0, 1000, 562)
    assert top == 400 - 281


def test_an_unreadable_original_gets_no_renditions_and_no_error(media):
    default_storage.save("lead/broken.jpg", upload(data=b"not an image"))
    assert do_make_renditions("lead/broken.jpg") == []
    assert do_make_renditions("lead/missing.jpg") == []


def test_media_is_served_on_one_machine_and_never_outside_its_folder(client, media):
    name = default_storage.save("lead/photo.jpg", upload())
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert client.get("/media/lead/absent.jpg").status_code == 404
    assert client.get("/media/../secret_key").status_code == 404
    assert client.get("/media/%2e%2e/secret_key").status_code == 404
    assert client.post(f"/media/{name}").status_code == 405


def picker_upload(**overrides):
    data = {
        "func": "-1",
        "file": upload(),
        "alt": "Roof of a pagoda",
        "caption": "Summer Palace",
        "credit": "danielbuechele",
        "licence": "CC BY 2.0",
        "focal_x": "50",
        "focal_y": "50",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("group", ["Editor", "Reporter"])
def test_body_images_are_uploaded_in_the_picker_with_their_credits(
    client, django_user_model, group
):
    from newsdesk.news.images import Image

    user = django_user_model.objects.create_user("u", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    page = client.get("/admin/news/image/picker/?CKEditorFuncNum=-1").content.decode()
    assert 'data-func="-1"' in page and "No images yet." in page

    refused = client.post("/admin/news/image/picker/", picker_upload(licence=""))
    assert refused.status_code == 200 and Image.objects.count() == 0
    assert "licence" in refused.context["form"].errors

    response = client.post("/admin/news/image/picker/", picker_upload())
    image = Image.objects.get()
    assert (image.width, image.height) == (640, 427)
    page = response.content.decode()
    url = re.search(r'data-chosen-url="([^"]+)"', page).group(1)
    assert url.startswith("/media/renditions/") and url.endswith(".jpg")
    assert client.get(url).status_code == 200
    assert 'data-chosen-alt="Roof of a pagoda"' in page
    assert 'data-use-image data-url="' + url in page


def test_picker_keeps_only_a_numeric_callback(editor):
    page = editor.get(
        '/admin/news/image/picker/?CKEditorFuncNum=1"><script>x</script>'
    ).content.decode()
    assert 'data-func=""' in page and "<script>x" not in page


def test_the_editor_figure_dialog_browses_the_image_library(editor):
    page = editor.get("/admin/news/article/add/").content.decode()
    assert "/admin/news/image/picker/" in page
