"""Everything published, rendered: every feed document that changed (`documents`), in every format and variant,
the archive pages for people, one OPML per format and variant, and the index page."""

from __future__ import annotations

from feedsvc.model import Feed
from feedsvc.output.documents import FORMATS, PeriodPage, Rendered, RenderRun, render_documents
from feedsvc.output.listing import ARCHIVE_DIR
from feedsvc.output.pages import (
    FORMAT_LABELS,
    Listed,
    render_archive_index,
    render_index,
    render_opensearch,
    render_opml,
)
from feedsvc.output.plan import FeedPlan
from feedsvc.output.story import NEWEST
from feedsvc.output.templates import stylesheet
from feedsvc.output.variants import VARIANTS
from feedsvc.settings import Settings

ORIGINAL = "Original"


def opml_name(extension: str) -> str:
    return "feeds.opml" if extension == ".atom" else f"feeds-{extension[1:]}.opml"


def _archive_index_stem(feed: Feed) -> str:
    return f"{ARCHIVE_DIR}/{feed.stem}/index"


def period_pages(plans: list[FeedPlan], archives: bool = True) -> dict[str, PeriodPage]:
    """Document stem -> what its listing page links to: each feed's newest stories, and each archive period."""
    pages = {}
    for plan in plans:
        feed = plan.current.feed
        archive_url = feed.url(_archive_index_stem(feed), ".html") if archives else None
        documents = plan.documents
        for index, planned in enumerate(documents):
            neighbours = [documents[index - 1] if index else None,
                          documents[index + 1] if index + 1 < len(documents) else None]
            newer, older = ((p.period.name if p.period else NEWEST, feed.url(p.feed.stem, ".html")) if p else None
                            for p in neighbours)
            name = planned.period.name if planned.period is not None else NEWEST
            pages[planned.feed.stem] = PeriodPage(name, archive_url, newer, older)
    return pages


def render_site(settings: Settings, plans: list[FeedPlan], run: RenderRun) -> Rendered:
    """Render every changed document (with `run.renderer`; many at once with `run.parallel`; `run.remembered`: see
    `render_documents`) and every page into `run.sink` (`publish.Staging.add`)."""
    remembered = run.remembered
    extensions = [FORMATS[name][0] for name in settings.formats]
    variants = run.renderer.transforms
    done = render_documents(plans, run, (settings.formats, settings.chinese_variants, run.renderer.images.identity))
    feeds = [plan.current.feed for plan in plans]
    index_url = feeds[0].url("index", ".html")
    if settings.archives:
        for plan in plans:
            periods = [(p.period.name, len(p.stories), p.feed.stem) for p in plan.archives if p.period]
            name = _archive_index_stem(plan.current.feed) + ".html"
            inputs = (plan.current.feed, periods, extensions, index_url)
            last = remembered.get(name) if remembered else None
            done.plans[name] = (inputs, "")
            if last is not None and last[0] == inputs:  # published by the last run in this process, as it is
                done.kept.append(name)
            else:
                done.add(name, render_archive_index(plan.current.feed, periods, extensions, index_url,
                                                    settings.title))
    copies: dict[str, list[tuple[str, tuple[tuple[str, str], ...]]]] = {f.stem: [] for f in feeds}
    opml: list[tuple[str, str]] = []
    for label, transform in [(ORIGINAL, None), *zip((VARIANTS[t].label for t in settings.chinese_variants),
                                                     variants, strict=True)]:
        versions = [f for f in (transform(feed) if transform else feed for feed in feeds) if f is not None]
        prefix = versions[0].variant_dir + "/" if versions[0].variant_dir else ""
        for extension in extensions:
            name = prefix + opml_name(extension)
            title = settings.title if transform is None else f"{settings.title} ({label})"
            done.add(name, render_opml(f"{title}: {FORMAT_LABELS[extension][0]}", versions, extension))
            opml.append((f"{label}, {FORMAT_LABELS[extension][0]}" if variants else FORMAT_LABELS[extension][0],
                         feeds[0].url(name, "")))
        for original, version in zip((f for f in feeds if transform is None or transform(f) is not None),
                                     versions, strict=True):
            copies[original.stem].append((label, tuple((FORMAT_LABELS[ext][0], version.url(version.stem, ext))
                                                       for ext in extensions)))
    unified = feeds[0]
    discovery = [(unified.title, FORMAT_LABELS[ext][1], unified.url(unified.stem, ext)) for ext in extensions]
    discovery += [(f.title, FORMAT_LABELS[extensions[0]][1], f.url(f.stem, extensions[0])) for f in feeds[1:]]
    listed = [Listed(f, tuple(copies[f.stem]),
                     f.url(_archive_index_stem(f), ".html") if settings.archives else None) for f in feeds]
    done.add("index.html", render_index(settings.title, settings.subtitle, opml, listed, discovery, unified.base_url))
    done.add("opensearch.xml", render_opensearch(settings.title, unified.base_url))
    done.add("style.css", stylesheet())
    return done
