"""Images, embeds and URLs: lazy sources, pixels, captions, absolute links, links through the image proxy."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import lxml.html

from feedsvc.clean.tree import HtmlElement, Recorder, is_blank, text_of, unwrap, visible_text
from feedsvc.links import absolute, host_of, unwrap_proxy

_LAZY_ATTRS = ("data-src", "data-original", "data-lazy-src", "data-actualsrc", "data-url", "data-echo")
_URL_ATTRS = {"a": ("href",), "img": ("src",), "video": ("src", "poster"), "audio": ("src",),
              "source": ("src",), "iframe": ("src",)}
_CAPTION_CLASSES = re.compile(r"caption|picinfo|credit|img-desc", re.IGNORECASE)


_PICTOGRAPH_CLASSES = frozenset({"wp-smiley", "emoji"})
"""Classes WordPress gives the images it draws emoji with."""
_PICTOGRAPH_SOURCES = re.compile(r"^https?://(?:s\.w\.org/images/core/emoji/|img\.t\.sinajs\.cn/t4/appstyle/expression/"
                                 r"|twemoji\.maxcdn\.com/|cdn\.jsdelivr\.net/gh/twitter/twemoji)", re.IGNORECASE)
"""Where emoji and Weibo's emoticons are drawn from: WordPress's, Weibo's and Twitter's image sets."""
_PICTOGRAPH_TEXT = 12
"""The longest `alt` read as a pictograph's text (an emoji, or Weibo's `[伤心]`)."""


def _pictograph(img: HtmlElement) -> str | None:
    """The text an image that draws an emoji or an emoticon stands for (its `alt`), or None for other images."""
    alt = (img.get("alt") or "").strip()
    if not alt or len(alt) > _PICTOGRAPH_TEXT:
        return None
    classes = set((img.get("class") or "").split())
    if classes & _PICTOGRAPH_CLASSES or _PICTOGRAPH_SOURCES.match((img.get("src") or "").strip()):
        return alt
    return None


def _dimension(value: str | None) -> int | None:
    match = re.match(r"^\s*(\d+)\s*(?:px)?\s*$", value or "")
    return int(match.group(1)) if match else None


def fix_images(body: HtmlElement, base: str, record: Recorder) -> None:
    """Lazy attributes to `src`, `data:` placeholders dropped, tracking pixels dropped. An image keeps the URL its
    seed gave it (made absolute), proxy included: what readers are sent is the renderers' choice
    (`images.policy`, the `image_mode` setting), made without cleaning again. A `<picture>`'s `<source>`s go (empty:
    `tree.parse_body`), its `<img>` stays. An image that draws an emoji or an emoticon in the text (WordPress's
    `wp-smiley`, Weibo's faces) becomes the text it stands for: its page sized it to the line, which no reader
    does once styles are gone (a 72-pixel 🙏 mid-sentence), and a character needs no fetch from a host the reader
    may not reach. An image its seed gave no text alternative gets an empty `alt`: HTML requires one (a story page
    is checked against HTML's conformance checker), and a screen reader then passes over the image instead of
    spelling out its address."""
    for source in list(body.iter("source")):
        record.drop(source, "picture source")
    for img in list(body.iter("img")):
        text = _pictograph(img)
        if text is not None:
            record.note("pictograph as text", "")  # as other images, it took no text away
            record.added.append(text)
            img.attrib.clear()
            img.text = text
            unwrap(img)
            continue
        src = (img.get("src") or "").strip()
        lazy = next((img.get(a) for a in _LAZY_ATTRS if (img.get(a) or "").strip()), None)
        if lazy and (not src or src.startswith("data:") or "placeholder" in src or "blank" in src):
            src = lazy.strip()
        if src.startswith("data:"):
            src = ""
        resolved = absolute(src, base) if src else None
        width, height = _dimension(img.get("width")), _dimension(img.get("height"))
        if not resolved or resolved.startswith("mailto:"):
            record.drop(img, "image without a usable source")
            continue
        if width is not None and height is not None and width <= 1 and height <= 1:
            record.drop(img, "tracking pixel")
            continue
        for name in list(img.attrib):
            if name not in ("alt", "title", "width", "height"):
                del img.attrib[name]
        if img.get("alt") is None:
            img.set("alt", "")
        img.set("src", resolved)
        if width is None:
            img.attrib.pop("width", None)
        if height is None:
            img.attrib.pop("height", None)


def fix_links(body: HtmlElement, base: str, unwrap: bool) -> None:
    """Every `href`/`src` absolute against the article URL; an unusable one is dropped (the element stays). A link
    through the image proxy is unwrapped (`unwrap`); an image's own URL is left to the renderers (`fix_images`)."""
    for element in body.iter(*_URL_ATTRS):
        for name in _URL_ATTRS[element.tag]:
            value = element.get(name)
            if value is None:
                continue
            if unwrap and element.tag != "img":
                value = unwrap_proxy(value)
            resolved = absolute(value, base)
            if resolved is None:
                del element.attrib[name]
            else:
                element.set(name, resolved)


ADDED_LABEL = re.compile(r"^(?:YouTube video|Facebook post|Tweet|(?:Embedded content|Video|Audio)(?: \(.*\))?)$")
"""The text of a link the cleaner writes in place of an embed: its own words, never a source's boilerplate."""


def _label(url: str, kind: str) -> str:
    host = host_of(url)
    if "youtube" in host or host == "youtu.be":
        return "YouTube video"
    if "facebook" in host:
        return "Facebook post"
    if "twitter" in host or host == "x.com":
        return "Tweet"
    return f"{kind} ({host})" if host else kind


_YOUTUBE_ID = re.compile(r"^/embed/([A-Za-z0-9_-]{6,})/?$")
_VIMEO_ID = re.compile(r"^/video/(\d+)/?$")


def page_of(url: str) -> str:
    """The page a reader opens for an embedded player (`url`, absolute): a YouTube video's or playlist's own page,
    a Facebook post or video (the plugin's `href`), a Vimeo video's page, a WordPress post (its `/embed/` view);
    any other `url` as it is. A player's page alone shows no title, description or link to its channel."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    query = dict(parse_qsl(parts.query))
    if host in ("youtube.com", "youtube-nocookie.com", "m.youtube.com"):
        if parts.path.rstrip("/") == "/embed/videoseries" and query.get("list"):
            return "https://www.youtube.com/playlist?" + urlencode({"list": query["list"]})
        video = _YOUTUBE_ID.match(parts.path)
        if video:
            start = query.get("start", "")
            return "https://www.youtube.com/watch?" + urlencode(
                {"v": video.group(1), **({"list": query["list"]} if query.get("list") else {}),
                 **({"t": f"{start}s"} if start.isdigit() else {})})
    if host in ("facebook.com", "m.facebook.com") and parts.path in ("/plugins/post.php", "/plugins/video.php"):
        target = absolute(query.get("href", ""), "")
        if target and host_of(target).removeprefix("www.") in ("facebook.com", "m.facebook.com"):
            return target
    if host == "player.vimeo.com":
        video = _VIMEO_ID.match(parts.path)
        if video:
            return f"https://vimeo.com/{video.group(1)}"
    if parts.path.endswith("/embed/") and parts.fragment.startswith("?secret="):  # WordPress's post embed
        return parts._replace(path=parts.path.removesuffix("embed/"), fragment="").geturl()
    return url


def _quoted_by_wordpress(body: HtmlElement, page: str, base: str) -> bool:
    """Whether a WordPress post embed (`<blockquote class="wp-embedded-content">`, shown by WordPress until its
    iframe loads) already links to `page`."""
    return any(absolute(a.get("href") or "", base) == page for quote in body.iter("blockquote")
               if "wp-embedded-content" in (quote.get("class") or "").split() for a in quote.iter("a"))


def _link_paragraph(url: str, label: str, poster: str | None) -> HtmlElement:
    paragraph = lxml.html.Element("p")
    anchor = lxml.html.Element("a", href=url)
    if poster:
        image = lxml.html.Element("img", src=poster, alt=label)
        anchor.append(image)
        image.tail = label
    else:
        anchor.text = label
    paragraph.append(anchor)
    return paragraph


def embeds_to_links(body: HtmlElement, base: str, unwrap: bool, record: Recorder) -> None:
    """`iframe`, `video` and `audio` become a paragraph with a plain link to the embedded page (`page_of`: the
    page a reader opens, not the player's) or media file; a WordPress post embed whose quoted link is beside it
    goes."""
    for element in list(body.iter("iframe", "video", "audio")):
        if element.getparent() is None:
            continue
        kind = {"iframe": "Embedded content", "video": "Video", "audio": "Audio"}[element.tag]
        raw = element.get("src") or next((s.get("src") for s in element.iter("source") if s.get("src")), "")
        url = absolute(unwrap_proxy(raw) if unwrap else raw, base) if raw else None
        poster_raw = element.get("poster") if element.tag == "video" else None
        poster = absolute(poster_raw, base) if poster_raw else None  # an image: as `fix_images` leaves them
        tail = element.tail
        if url is None or url.startswith("mailto:"):
            record.drop(element, "embed without a usable source")
            continue
        if element.tag == "iframe":
            url = page_of(url)
            if "wp-embedded-content" in (element.get("class") or "").split() and \
                    _quoted_by_wordpress(body, url, base):
                record.drop(element, "WordPress post embed (its quoted link stays)")
                continue
        if not is_blank(text_of(element)):
            record.note("embed fallback text", element.text_content())
        label = _label(url, kind)
        replacement = _link_paragraph(url, label, poster)
        record.added.append(label)
        replacement.tail = tail
        element.getparent().replace(element, replacement)


def _is_caption(element: HtmlElement) -> bool:
    if element.tag in ("figcaption", "small"):
        return True
    if element.tag in ("div", "p", "span") and _CAPTION_CLASSES.search(element.get("class") or ""):
        return True
    children = list(element)
    return (element.tag in ("div", "p") and len(children) == 1 and children[0].tag == "small"
            and is_blank(element.text) and is_blank(children[0].tail))


def _image_holder(img: HtmlElement) -> HtmlElement:
    """The img, or the wrapper(s) that hold nothing else (CNA's `<div class="wrap"><img></div>`)."""
    holder = img
    for _ in range(2):
        parent = holder.getparent()
        if parent is None or parent.tag not in ("div", "a", "span", "picture") or parent.tag == "body":
            break
        if len(parent) != 1 or not is_blank(parent.text) or not is_blank(holder.tail):
            break
        holder = parent
    return holder


def captions_to_figures(body: HtmlElement) -> None:
    """An image followed by its caption becomes `<figure><img><figcaption>caption</figcaption></figure>`."""
    for img in list(body.iter("img")):
        if any(a.tag == "figure" for a in img.iterancestors()):
            continue
        holder = _image_holder(img)
        caption = holder.getnext()
        if caption is None or not is_blank(holder.tail) or not _is_caption(caption) \
                or is_blank(visible_text(caption)):
            continue
        parent = holder.getparent()
        if parent is None:
            continue
        figure = lxml.html.Element("figure")
        figcaption = lxml.html.Element("figcaption")
        figcaption.text = visible_text(caption)
        figure.tail = caption.tail
        parent.replace(holder, figure)
        figure.append(holder)
        holder.tail = None
        figure.append(figcaption)
        parent.remove(caption)
    for figure in body.iter("figure"):
        _drop_repeated_alt(figure)


def _drop_repeated_alt(figure: HtmlElement) -> None:
    """An image whose text alternative its figure's caption already holds gets an empty one, as WAI advises for an
    image with its text beside it: a screen reader would read it twice, and a browser that cannot reach the image
    (a reader for whom its host is blocked) shows it as well as the caption (CNA's photos, 92 of the 235 captioned
    figures of the 300 real articles)."""
    caption = next(figure.iter("figcaption"), None)
    if caption is None:
        return
    said = "".join(visible_text(caption).split())  # spacing aside: captions space out what alternatives do not
    for img in figure.iter("img"):
        alt = "".join((img.get("alt") or "").split())
        if alt and alt in said:
            img.set("alt", "")
