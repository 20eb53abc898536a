"""The story index: what a run needs of the last completed one, in memory.

Every published seed (path, size, mtime, digest), which digests have a cached outcome and which of those are
problems, the merge fields of every current entry (`group.Version`), the merged stories, and every feed's stories
newest first. A one-shot run loads it from the cache; the daemon keeps it between runs (`Memory`) and brings it up
to date from the seeds that changed, so an incremental run costs what changed, not what is archived. The cache
stays the source of truth: the index is trusted only while the cache's run state carries the token of the run
that left it (another process that regenerated in between, a failed run, a restart: it is loaded again).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

from feedsvc.ingest.triage import Triage
from feedsvc.model import KnownSeed, Story, Version
from feedsvc.state.cache import Cache
from feedsvc.stories.boilerplate import Boilerplate, Learning
from feedsvc.stories.group import grouped, merge_group, newest, order_key

UNIFIED = ""
"""The key of the list of every story in `Index.ordered`; the others are source slugs."""


@dataclass
class Index:
    fingerprint: str
    known: dict[str, KnownSeed]
    """Path -> every seed published."""
    cached: set[str]
    """Digests whose outcome under `fingerprint` is cached."""
    problems: dict[str, str]
    """Digest -> reason, for cached outcomes that are problems."""
    paths: dict[str, list[str]] = field(default_factory=dict)
    """Digest -> the paths of the seeds that hold it, sorted."""
    versions: dict[str, tuple[Version, ...]] = field(default_factory=dict)
    """Digest -> its entries, for every digest published."""
    groups: dict[str, list[Version]] = field(default_factory=dict)
    """Link key -> the versions of that story."""
    stories: dict[str, Story] = field(default_factory=dict)
    """Link key -> the merged story."""
    ordered: dict[str, list[Story]] = field(default_factory=dict)
    """`UNIFIED` and each source slug -> its stories newest first (`group.order_key`)."""
    retry: set[str] = field(default_factory=set)
    """Seeds to read again on the next run whatever changed: deferred or unreadable ones."""
    token: str = ""
    """The run state's token when this index was left complete."""
    documents: dict[str, tuple[object, str]] = field(default_factory=dict)
    """Document stem -> (its plan, its digest) as last published, so an unchanged plan is not digested again."""
    learned: dict[str, tuple[Version, ...]] = field(default_factory=dict, repr=False)
    """Entries of the digests cleaned this run, until `apply`."""
    boilerplate: Boilerplate = field(default_factory=Boilerplate)
    """What each source's stories teach (`stories.boilerplate`); every story in `stories` carries its cut."""

    @classmethod
    def load(cls, cache: Cache, fingerprint: str, learning: Learning | None = None) -> Index:
        """The index of what the cache holds (`learning`: how boilerplate is learned; the defaults if None)."""
        index = cls(fingerprint, cache.known_seeds(), cache.outcome_digests(fingerprint), cache.problems(fingerprint),
                    boilerplate=Boilerplate(learning or Learning()))
        for path, seed in sorted(index.known.items()):
            index.paths.setdefault(seed.digest, []).append(path)
        versions = cache.versions(index.paths, fingerprint)
        for digest, members in grouped_by_digest(versions).items():
            index.versions[digest] = tuple(members)
        index.groups = grouped(versions)
        merged = {key: merge_group(group) for key, group in index.groups.items()}
        learner = index.boilerplate
        learner.count_all(merged.values())
        learner.relearn(list(learner.totals))
        index.stories = {key: learner.cut(story) for key, story in merged.items()} if learner.rules else merged
        everything = newest(index.stories.values(), None)
        index.ordered[UNIFIED] = everything
        for story in everything:
            index.ordered.setdefault(story.source_slug, []).append(story)
        return index

    def unreferenced(self) -> set[str]:
        """Cached digests that no published seed holds."""
        return self.cached - self.paths.keys()

    def problem_paths(self) -> list[tuple[str, str]]:
        """(path, reason) of every published seed whose outcome is a problem."""
        return [(path, reason) for digest, reason in self.problems.items() for path in self.paths.get(digest, ())]

    def learn(self, digest: str, problem: str | None, versions: tuple[Version, ...]) -> None:
        """A seed content cleaned this run (its outcome is stored in the cache too)."""
        self.cached.add(digest)
        if problem is None:
            self.problems.pop(digest, None)
        else:
            self.problems[digest] = problem
        self.learned[digest] = versions

    def apply(self, seeds: Triage, cache: Cache) -> Changes:
        """Bring the index up to what `seeds` says is published now (after its new outcomes were `learn`ed), write
        the seed rows that changed, and return what changed."""
        changes = Changes()
        touched: set[str] = set()
        for path in seeds.gone:
            previous = self.known.pop(path, None)
            if previous is not None:
                changes.gone.append(path)
                self._unlink(path, previous.digest, touched)
        for path, (seed, digest) in seeds.read.items():
            previous = self.known.get(path)
            row = KnownSeed(seed.size, seed.mtime_ns, digest)
            if previous != row:
                self.known[path] = row
                changes.rows.append((path, row))
            if previous is None or previous.digest != digest:
                if previous is not None:
                    self._unlink(path, previous.digest, touched)
                self._link(path, digest, touched)
        fresh = self.learned
        touched |= fresh.keys()
        missing = [d for d in touched if d in self.paths and d not in self.versions and d not in fresh
                   and d not in self.problems]
        fetched = grouped_by_digest(cache.versions_of(sorted(missing), self.fingerprint))
        keys: set[str] = set()
        for digest in touched:
            if digest not in self.paths:
                self._drop(digest, keys)
                if digest in self.cached:
                    changes.forgotten.add(digest)
            elif digest in fresh:
                self._drop(digest, keys)
                self._add(digest, fresh[digest], keys)
            elif digest not in self.versions and digest in fetched:
                self._add(digest, tuple(fetched[digest]), keys)
        fresh.clear()
        self.cached -= changes.forgotten
        for digest in changes.forgotten:
            self.problems.pop(digest, None)
        cache.update_seeds(changes.rows, changes.gone)
        merged: list[tuple[str, Story | None, Story | None]] = []
        learner = self.boilerplate
        for key in sorted(keys):
            before = self.stories.get(key)
            group = self.groups.get(key)
            after = merge_group(group) if group else None
            if after == (before._replace(cut=b"") if before is not None else None):
                continue
            for story, sign in ((before, -1), (after, 1)):
                if story is not None:
                    learner.count(story, sign)
            merged.append((key, before, after))
        relearned = learner.relearn(sorted({s.newest.source_slug for _, *pair in merged for s in pair if s}))
        removed: list[Story] = []
        added: list[Story] = []
        for key, before, uncut in merged:
            after = learner.cut(uncut) if uncut is not None else None
            changes.stories += 1
            if before is not None:
                removed.append(before)
                del self.stories[key]
                if after is None:
                    changes.gone_stories.append(before.newest.id)
            if after is not None:
                self.stories[key] = after
                added.append(after)
        for slug in sorted(relearned):  # what the source learned changed: its other stories are cut anew
            for story in self.ordered.get(slug, ()):
                if story.newest.key in self.stories and self.stories[story.newest.key] is story:
                    again = learner.cut(story)
                    if again is not story:
                        changes.stories += 1
                        removed.append(story)
                        added.append(again)
                        self.stories[story.newest.key] = again
        self._reorder(removed, added)
        changes.changed_stories = added
        self.retry = seeds.retry()
        return changes

    def _link(self, path: str, digest: str, touched: set[str]) -> None:
        members = self.paths.setdefault(digest, [])
        bisect.insort(members, path)
        touched.add(digest)

    def _unlink(self, path: str, digest: str, touched: set[str]) -> None:
        members = self.paths.get(digest, [])
        if path in members:
            members.remove(path)
        if not members:
            self.paths.pop(digest, None)
        touched.add(digest)

    def _drop(self, digest: str, keys: set[str]) -> None:
        for version in self.versions.pop(digest, ()):
            group = self.groups[version.key]
            group.remove(version)
            if not group:
                del self.groups[version.key]
            keys.add(version.key)

    def _add(self, digest: str, versions: tuple[Version, ...], keys: set[str]) -> None:
        if versions:
            self.versions[digest] = versions
        for version in versions:
            self.groups.setdefault(version.key, []).append(version)
            keys.add(version.key)

    def _reorder(self, removed: list[Story], added: list[Story]) -> None:
        """Take `removed` out of the ordered lists and put `added` in: a bisection each when few stories of a list
        change, one filter and one sort when many do (inserting a story costs the length of the list: one at a
        time, a cold run's 100,000 stories would cost a quadratic 40 GB of moves)."""
        changed: dict[str, tuple[list[Story], list[Story]]] = {}
        for index, stories in ((0, removed), (1, added)):
            for story in stories:
                for name in (UNIFIED, story.source_slug):
                    changed.setdefault(name, ([], []))[index].append(story)
        for name, (out, into) in changed.items():
            members = self.ordered.setdefault(name, [])
            if len(out) + len(into) > _ONE_BY_ONE:
                gone = {id(story) for story in out}
                members[:] = [story for story in members if id(story) not in gone]
                members.extend(into)
                members.sort(key=order_key)  # stable: as inserting them one by one, in this order
            else:
                for story in out:
                    at = bisect.bisect_left(members, order_key(story), key=order_key)
                    while members[at] is not story:  # stories sharing an order key (never in practice)
                        at += 1
                    del members[at]
                for story in into:
                    bisect.insort(members, story, key=order_key)
            if not members and name != UNIFIED:
                del self.ordered[name]


_ONE_BY_ONE = 64
"""More changed stories of one ordered list than this are merged into it by sorting it again."""


@dataclass
class Changes:
    """What `Index.apply` changed."""

    rows: list[tuple[str, KnownSeed]] = field(default_factory=list)
    """Seed rows written."""
    gone: list[str] = field(default_factory=list)
    """Seeds no longer published."""
    forgotten: set[str] = field(default_factory=set)
    """Digests no seed holds any more: their outcomes can go."""
    stories: int = 0
    """Stories added, changed or removed."""
    gone_stories: list[str] = field(default_factory=list)
    """Ids of the stories removed (no seed holds them any more)."""
    changed_stories: list[Story] = field(default_factory=list)
    """The stories added or changed."""


def grouped_by_digest(versions: Iterable[Version]) -> dict[str, list[Version]]:
    by_digest: dict[str, list[Version]] = {}
    for version in versions:
        by_digest.setdefault(version.digest, []).append(version)
    return by_digest


@dataclass
class Memory:
    """The daemon's index between runs: set by a run that completes, emptied by one that does not."""

    index: Index | None = None

    def current(self, token: str, fingerprint: str, learning: Learning | None = None) -> Index | None:
        index = self.index
        return index if index is not None and token and index.token == token and \
            index.fingerprint == fingerprint and index.boilerplate.learning == (learning or Learning()) else None

