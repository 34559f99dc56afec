"""Visit photos: JPEG or PNG only, recognised by their content (Pillow), not by the file name, under a size limit."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

# Pillow's format name → content type.
ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}
# A phone camera takes at most about 50 megapixels; a small file that claims more is a decompression bomb.
MAX_PIXELS = 60_000_000


def check_photo(upload) -> str:
    """The content type of an uploaded photo, found in its bytes; ValidationError saying why it is refused."""
    params = {"name": upload.name, "size": filesizeformat(upload.size),
              "limit": filesizeformat(settings.VISIT_PHOTO_MAX_BYTES)}
    if upload.size > settings.VISIT_PHOTO_MAX_BYTES:
        raise ValidationError(_("照片“%(name)s”太大(%(size)s),上限为%(limit)s。") % params, code="too_large")
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            found = image.format
            width, height = image.size  # from the header: nothing decoded yet
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    _("照片“%(name)s”的像素过多(%(width)d×%(height)d),请用手机相机的正常尺寸。")
                    % {**params, "width": width, "height": height}, code="too_many_pixels",
                )
            if found in ACCEPTED_FORMATS:
                image.verify()  # reads the whole stream: a damaged or truncated file fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            _("“%(name)s”不是有效的图片文件,只接受 JPEG 或 PNG 照片。") % params, code="not_an_image"
        ) from exc
    finally:
        upload.seek(0)
    if found not in ACCEPTED_FORMATS:
        raise ValidationError(
            _("“%(name)s”是 %(format)s 格式,只接受 JPEG 或 PNG 照片。") % {**params, "format": found},
            code="wrong_format",
        )
    return ACCEPTED_FORMATS[found]
