"""The benchmark: `python -m bench [--seeds N ...] [--large] [--bodies heavy|real|corpus]`. Prints one table; asserts
nothing.

Each size gets a fresh synthetic corpus in a temporary directory. Regenerations run in child processes (as an
operator runs them) and time themselves; peak RSS sums the whole process tree, sampled every 20 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.corpus import ARTICLES, generate, seed_text, worker_job

ROOT = Path(__file__).resolve().parent.parent
def _tree_rss_kb(pid: int) -> int:
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) if "VmRSS" in status else 0  # type: ignore[union-attr]
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, AttributeError, ValueError):
            continue
    return total


CONFIGURATIONS: dict[str, tuple[str, dict[str, str]]] = {
    "before": ("Atom only, no archives (as before archives, formats and variants)",
               {"FEEDSVC_FORMATS": "atom", "FEEDSVC_ARCHIVES": "false"}),
    "formats": ("Atom, RSS and JSON Feed, no archives", {"FEEDSVC_ARCHIVES": "false"}),
    "formats-variants": ("Atom, RSS and JSON Feed with zh-Hans and zh-Hant copies, no archives",
                         {"FEEDSVC_ARCHIVES": "false", "FEEDSVC_CHINESE_VARIANTS": "zh-Hans,zh-Hant"}),
    "archives": ("Atom with archives", {"FEEDSVC_FORMATS": "atom"}),
    "default": ("Atom, RSS and JSON Feed with archives (the default)", {}),
    "variants": ("the default with zh-Hans and zh-Hant copies", {"FEEDSVC_CHINESE_VARIANTS": "zh-Hans,zh-Hant"}),
    "no-learned": ("the default without learned rules (learned_rules = false)", {"FEEDSVC_LEARNED_RULES": "false"}),
    "self-images": ("the default with image_mode = \"self\" (every image signed, at <base_url>img/)",
                    {"FEEDSVC_IMAGE_MODE": "self", "FEEDSVC_IMAGE_PROXY_KEY": "benchmark-image-key-0123456789"}),
}
"""Configurations measured side by side (environment overrides of the shipped config). Every cold run cleans the
same seeds the same way; they differ in what they render and publish."""


def _child_env(name: str) -> dict[str, str]:
    """The environment of a command run as an operator runs it: configuration `name`'s overrides, none of this
    shell's `FEEDSVC_*`, and Python's bytecode cache in use (a development shell may turn it off; an installed
    feedsvc has its bytecode compiled)."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_") and k != "PYTHONDONTWRITEBYTECODE"}
    return {**kept, "FEEDSVC_MIN_SEED_RATIO": "0", **CONFIGURATIONS[name][1]}


def _feedsvc() -> list[str]:
    """The command an operator runs: the installed `feedsvc` script beside this interpreter, else the module."""
    script = Path(sys.executable).parent / "feedsvc"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "feedsvc"]


def run_regenerate(workdir: Path, name: str = "default") -> tuple[dict[str, float], int]:
    """One `feedsvc regenerate` in a child process, in configuration `name` (its own output and state
    directories): the report's own timing (`seconds`, inside the process, and `cleaning`), the process's wall time
    from its start to its exit (`wall`), and the peak RSS of its process tree (KiB)."""
    command = [*_feedsvc(), "regenerate", "--config", str(ROOT / "config" / "feedsvc.toml"), "--json", "--quiet",
               "--seeds", str(workdir / "seeds"), "--output", str(workdir / f"public-{name}"),
               "--state", str(workdir / f"var-{name}")]
    os.sync()  # the previous run's writes are flushed now, not during this run's fsyncs
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, cwd=ROOT, env=_child_env(name))
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, _tree_rss_kb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = process.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode:
        raise SystemExit(f"regenerate failed with status {process.returncode}")
    report = json.loads(out)
    return {"seconds": report["seconds"], "wall": wall, "written": len(report["files_written"]),
            "entries": report["entries"], "cleaning": report["cleaning_seconds"]}, peak


def interpreter_start(runs: int = 7) -> float:
    """Median wall seconds of `python -c pass` here: what any command pays before its first line (site-packages'
    `.pth` files included), to read the process figures by."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=_child_env("default"))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _body(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("\n------\n", 1)[-1]


def floors(seeds: Path) -> tuple[float, float, float, int]:
    """(read + lxml parse seconds, bleach-alone seconds, parse-and-clean seconds, body bytes), all in this one
    process. Bodies are read one at a time and only the `bleach.clean` calls are timed for the second figure; the
    third parses and cleans every seed as a worker does (`ingest.work.process`), reading aside."""
    import lxml.html

    from feedsvc.clean.sanitize import sanitize_markup
    from feedsvc.ingest.work import process

    paths = sorted(seeds.rglob("*.*"))
    size = 0
    started = time.perf_counter()
    for path in paths:
        html = _body(path)
        lxml.html.document_fromstring(html)
        size += len(html.encode())
    parse_seconds = time.perf_counter() - started
    bleach_seconds = 0.0
    for path in paths:
        html = _body(path)
        started = time.perf_counter()
        sanitize_markup(html)
        bleach_seconds += time.perf_counter() - started
    job = worker_job()
    clean_seconds = 0.0
    for path in paths:
        data = path.read_bytes()
        started = time.perf_counter()
        process(job, data, path.name, "", None)
        clean_seconds += time.perf_counter() - started
    return parse_seconds, bleach_seconds, clean_seconds, size


def _import_bleach() -> None:
    import feedsvc.clean.sanitize  # noqa: F401


def _started(_: int) -> None:
    return None


def _bleach_all(paths: list[Path]) -> None:
    from feedsvc.clean.sanitize import sanitize_markup

    for path in paths:
        sanitize_markup(_body(path))


def parallel_floor(seeds: Path, processes: int) -> float:
    """The floor a cold run is held to: wall seconds of bleach alone over every seed's body in `processes`
    processes (as many as the cores), each body read by the process that cleans it, dealt out 50 at a time; the
    processes are started and have imported bleach before the clock starts."""
    paths = sorted(seeds.rglob("*.*"))
    chunks = [paths[i:i + 50] for i in range(0, len(paths), 50)]
    with multiprocessing.get_context("spawn").Pool(processes, initializer=_import_bleach) as pool:
        pool.map(_started, range(processes * 4), chunksize=1)
        started = time.perf_counter()
        pool.map(_bleach_all, chunks, chunksize=1)
        return time.perf_counter() - started


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def daemon_figures(workdir: Path, bodies: str, arrivals: int = 20) -> dict[str, float]:
    """Latency from a seed's arrival to the served feed containing it; idle CPU; conditional GETs per second."""
    log = workdir / "daemon.log"
    env = {**os.environ, "FEEDSVC_CONFIG": str(ROOT / "config" / "feedsvc.toml"), "FEEDSVC_MIN_SEED_RATIO": "0"}
    command = [sys.executable, "-m", "feedsvc", "serve", "--port", "0", "--seeds", str(workdir / "seeds"),
               "--output", str(workdir / "public-default"), "--state", str(workdir / "var-default")]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    try:
        port = 0
        deadline = time.monotonic() + 60
        while not port and time.monotonic() < deadline:
            match = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", log.read_text(errors="replace"))
            port = int(match.group(1)) if match else 0
            time.sleep(0.05)
        while "regenerated:" not in log.read_text(errors="replace") and time.monotonic() < deadline:
            time.sleep(0.05)
        # The search index is built in the daemon's background after its first start: measured on its own, and
        # waited for, so the figures below are those of a daemon at rest (the build's own effect: docs).
        build_started = time.monotonic()
        while "search index built" not in log.read_text(errors="replace") and time.monotonic() - build_started < 7200:
            time.sleep(0.5)
        search_build = time.monotonic() - build_started
        time.sleep(1.0)
        # Long enough to span several full snapshots, which a large archive takes only every few seconds.
        cpu_before, idle_started = _cpu_seconds(process.pid), time.monotonic()
        time.sleep(30.0)
        idle = (_cpu_seconds(process.pid) - cpu_before) / (time.monotonic() - idle_started) * 100
        rng, latencies = random.Random(7), []
        logged = len(log.read_bytes())
        for number in range(arrivals):
            marker = f"到达测试{number}号"
            text = seed_text(rng, number, datetime(2030, 1, 1, 0, number, tzinfo=UTC),
                             f"https://www.dw.com/zh/arrival/a-{900000 + number}", marker, "德国之声", ARTICLES[bodies])
            staging = workdir / f".arrival-{number}"
            staging.write_text(text, encoding="utf-8")
            started = time.monotonic()
            os.rename(staging, workdir / "seeds" / f"arrival-{number}.txt")
            while marker.encode() not in _get(port, "/all.atom")[2]:
                if time.monotonic() - started > 30:
                    raise SystemExit("a seed did not appear within 30 s")
                time.sleep(0.01)
            latencies.append(time.monotonic() - started)
            time.sleep(0.3)
        runs = [float(m) for m in re.findall(r"regenerated: .* · ([\d.]+) s\n",
                                             log.read_bytes()[logged:].decode("utf-8", "replace"))]
        rate = http_rate(port)
        regenerations, burst_seconds = burst(workdir, port, bodies)
        peak = _peak_rss_kb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)
    latencies.sort()
    return {"latency_median": statistics.median(latencies),
            "latency_p95": latencies[max(0, round(0.95 * len(latencies)) - 1)], "idle_cpu": idle, "http": rate,
            "daemon_run": statistics.median(runs) if runs else float("nan"), "burst_regenerations": regenerations,
            "burst_seconds": burst_seconds, "daemon_rss_mb": peak / 1024, "search_build": search_build}


BURST = 5_000
"""Seeds of the burst (a `git pull`), written in place one after the other as fast as the generator goes."""


def _health(port: int) -> dict[str, int]:
    return dict(json.loads(_get(port, "/healthz")[2]))


def burst(workdir: Path, port: int, bodies: str) -> tuple[int, float]:
    """(regenerations, seconds from the first seed written to all of them served) for a burst of `BURST` seeds."""
    before = _health(port)
    started = time.monotonic()
    generate(workdir / "seeds" / "burst", BURST, start=2_000_000, bodies=bodies)
    while _health(port)["entries"] < before["entries"] + BURST * 0.9:  # some are duplicate stories
        if time.monotonic() - started > 600:
            raise SystemExit("the burst was not served within 600 s")
        time.sleep(0.1)
    time.sleep(2.0)  # a second regeneration for stragglers, if any, is counted too
    return _health(port)["regenerations"] - before["regenerations"], time.monotonic() - started


def _peak_rss_kb(pid: int) -> int:
    """The daemon process's own peak resident set (VmHWM)."""
    match = re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) if match else 0


def http_rate(port: int, seconds: float = 3.0) -> float:
    """Conditional GETs answered 304 per second: wrk where installed, else a bounded Python client (2 processes)."""
    etag = _get(port, "/all.atom")[1]["etag"]
    if shutil.which("wrk"):
        out = subprocess.run(["wrk", "-t2", "-c16", f"-d{int(seconds)}s", "-H", f"If-None-Match: {etag}",
                              f"http://127.0.0.1:{port}/all.atom"], capture_output=True, text=True, check=True).stdout
        match = re.search(r"Requests/sec:\s+([\d.]+)", out)
        return float(match.group(1)) if match else 0.0
    client = f"""
import http.client, time
c = http.client.HTTPConnection("127.0.0.1", {port}); n = 0; end = time.monotonic() + {seconds}
while time.monotonic() < end:
    c.request("GET", "/all.atom", headers={{"If-None-Match": {etag!r}}}); r = c.getresponse(); r.read()
    n += r.status == 304
print(n)
"""
    clients = [subprocess.Popen([sys.executable, "-c", client], stdout=subprocess.PIPE) for _ in range(2)]
    return sum(int(c.communicate()[0]) for c in clients) / seconds


def _output_size(output: Path) -> tuple[int, int, int]:
    """(feed documents, of which archive documents, bytes on disk with the .gz siblings) of one output."""
    files = [p for p in output.rglob("*") if p.is_file()]
    feeds = [p for p in files if p.suffix in (".atom", ".rss", ".json")]
    archived = [p for p in feeds if "archive" in p.relative_to(output).parts]
    return len(feeds), len(archived), sum(p.stat().st_size for p in files)


def drop_page_cache() -> bool:
    """Empty the kernel's page cache (Linux, as root), so that a cold run reads its seeds from the disk as a first
    run over an archive does. Otherwise a corpus small enough to stay cached since it was generated is read from
    memory and a large one, partly, from the disk, and two sizes measure different things. False where the
    kernel does not allow it (the figures then say so)."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w", encoding="ascii") as control:
            control.write("1\n")
    except OSError:
        return False
    return True


def _set_aside(workdir: Path, state: str, turn: int) -> None:
    """Move a cold run's output or state out of the way of the next one; it is deleted with the whole working
    directory. Deleting it now would charge the next run for it: ext4 steps over recently freed inodes (reading
    each one's inode block; for a minute or more after the deletion) when it creates files, thousands of them for
    a run with variants, which a real cold run into a new directory never pays."""
    path = workdir / state
    if path.exists():
        (workdir / "set-aside").mkdir(exist_ok=True)
        path.rename(workdir / "set-aside" / f"{state}-{turn}")


def measure(count: int, with_daemon: bool, configurations: list[str], repeat: int = 1,
            bodies: str = "heavy") -> dict[str, float]:
    """Every figure at `count` seeds. Cold runs are made `repeat` times, the configurations taking turns (so a
    slow minute of the machine does not fall on one of them alone), and their median is reported."""
    with tempfile.TemporaryDirectory(prefix=f"feedsvc-bench-{count}-") as temporary:
        workdir = Path(temporary)
        size = generate(workdir / "seeds", count, bodies=bodies)
        parse_floor, bleach_floor, clean_alone, _ = floors(workdir / "seeds")
        cores = os.cpu_count() or 1
        figures: dict[str, float] = {"seeds": count, "mb": size / 1e6, "parse_floor": parse_floor,
                                     "bleach_floor": bleach_floor, "clean_alone": clean_alone, "cores": cores,
                                     "repeat": repeat, "interpreter": interpreter_start()}
        floors_measured: list[float] = []
        colds: dict[str, list[float]] = {name: [] for name in configurations}
        outputs: dict[str, list[float]] = {name: [] for name in configurations}
        cleanings: list[float] = []
        peaks: dict[str, int] = {}
        from_disk = True
        for turn in range(repeat):
            for name in configurations:
                print(f"  {name}: cold ({turn + 1} of {repeat}) …", file=sys.stderr, flush=True)
                for state in (f"public-{name}", f"var-{name}"):
                    _set_aside(workdir, state, turn)
                if name == configurations[0]:  # the floor, measured turn by turn beside the cold runs
                    print(f"  floor: bleach alone in {cores} processes …", file=sys.stderr, flush=True)
                    drop_page_cache()
                    floors_measured.append(parallel_floor(workdir / "seeds", cores))
                from_disk = drop_page_cache() and from_disk
                cold, peak = run_regenerate(workdir, name)
                colds[name].append(cold["seconds"])
                outputs[name].append(cold["seconds"] - cold["cleaning"])
                cleanings.append(cold["cleaning"])
                peaks[name] = max(peaks.get(name, 0), peak)
        for name in configurations:
            print(f"  {name}: warm …", file=sys.stderr, flush=True)
            # The first warm run after cold runs that wrote gigabytes finds the seeds' inodes evicted; an operator's
            # next run (cron) finds them cached. Both are shown: the median of `repeat` runs, and the first.
            warms = [run_regenerate(workdir, name)[0] for _ in range(max(1, repeat))]
            documents, archived, disk = _output_size(workdir / f"public-{name}")
            figures.update({f"{name}:cold": statistics.median(colds[name]),
                            f"{name}:output": statistics.median(outputs[name]),
                            f"{name}:warm": statistics.median(w["seconds"] for w in warms),
                            f"{name}:warm_wall": statistics.median(w["wall"] for w in warms),
                            f"{name}:warm_first": warms[0]["seconds"],
                            f"{name}:warm_written": max(w["written"] for w in warms),
                            f"{name}:peak_rss_mb": peaks[name] / 1024,
                            f"{name}:documents": documents, f"{name}:archived": archived,
                            f"{name}:disk_mb": disk / 1e6})
        figures["cleaning"] = statistics.median(cleanings)
        figures["floor"] = statistics.median(floors_measured)
        figures["cold_from_disk"] = float(from_disk)
        incrementals: dict[str, list[dict[str, float]]] = {name: [] for name in configurations}
        for number in range(count, count + NEW_SEEDS):  # one newest seed at a time, each configuration publishing it
            generate(workdir / "seeds" / "new", 1, start=number, bodies=bodies)
            for name in configurations:
                print(f"  {name}: incremental ({number - count + 1} of {NEW_SEEDS}) …", file=sys.stderr, flush=True)
                incrementals[name].append(run_regenerate(workdir, name)[0])
        for name, runs in incrementals.items():
            figures.update({f"{name}:incremental": statistics.median(r["seconds"] for r in runs),
                            f"{name}:incremental_wall": statistics.median(r["wall"] for r in runs),
                            f"{name}:incremental_written": statistics.median(r["written"] for r in runs)})
        if with_daemon:
            figures.update(daemon_figures(workdir, bodies))
        return figures


NEW_SEEDS = 5
"""One-new-seed commands timed per configuration, the median reported: a single one moved by 0.3 s from one
benchmark run to the next on the development machine."""


Row = tuple[str, Callable[[dict[str, float]], str]]


def _configuration_rows(n: str, ratio: Callable[[dict[str, float], str], str],
                        shared: Callable[[dict[str, float], str], str]) -> list[Row]:
    def cold(r: dict[str, float]) -> str:
        if n + ":cold" not in r:
            return "—"
        median = f", median of {r['repeat']:.0f}" if r.get("repeat", 1) > 1 else ""
        return f"{r[n + ':cold']:.2f} s ({r[n + ':cold'] / r['floor']:.2f}× floor{median})" + ratio(r, n)

    def output(r: dict[str, float]) -> str:
        if n + ":output" not in r:
            return "—"
        return f"{r[n + ':output']:.2f} s" + shared(r, n)

    def timed(kind: str) -> Callable[[dict[str, float]], str]:
        def show(r: dict[str, float]) -> str:
            key = f"{n}:{kind}"
            if key not in r:
                return "—"
            process = f"{r[key + '_wall']:.3f} s process, {r[key]:.3f} s in it"
            if key + "_first" in r and r["repeat"] > 1:  # the median, and the first run after the cold ones
                return f"{process}, first {r[key + '_first']:.3f} s ({r[key + '_written']:.0f})"
            return f"{process} ({r[key + '_written']:.0f})"

        return show

    def documents(r: dict[str, float]) -> str:
        if n + ":documents" not in r:
            return "—"
        return f"{r[n + ':documents']:,.0f} ({r[n + ':archived']:,.0f}) / {r[n + ':disk_mb']:.0f} MB"

    def rss(r: dict[str, float]) -> str:
        return f"{r[n + ':peak_rss_mb']:.0f} MB" if n + ":peak_rss_mb" in r else "—"

    return [(f"{n}: cold", cold), (f"{n}: cold, all but cleaning", output),
            (f"{n}: warm (files written)", timed("warm")),
            (f"{n}: incremental, 1 new (files written), median of {NEW_SEEDS}", timed("incremental")),
            (f"{n}: feed documents (archive) / disk", documents), (f"{n}: peak RSS, cold", rss)]


def print_table(results: list[dict[str, float]], configurations: list[str], bodies: str = "heavy") -> None:
    def ratio(r: dict[str, float], name: str) -> str:
        return f" ({r[name + ':cold'] / r['before:cold']:.2f}× before)" if "before:cold" in r and name != "before" \
            else ""

    def shared(r: dict[str, float], name: str) -> str:
        """The configuration's cold run against `before`'s, both on the median cleaning time of all cold runs:
        every configuration cleans alike, so this leaves out the machine's drift during the cleaning."""
        if "before:output" not in r or name == "before":
            return ""
        return f" ({(r['cleaning'] + r[name + ':output']) / (r['cleaning'] + r['before:output']):.2f}× before " \
            "on the shared cleaning time)"

    rows: list[Row] = [
        ("seeds (MB, article sizes)", lambda r: f"{r['seeds']:,.0f} ({r['mb']:.0f} MB, {bodies})"),
        ("read + lxml parse, one process", lambda r: f"{r['parse_floor']:.2f} s"),
        ("bleach alone, one process", lambda r: f"{r['bleach_floor']:.2f} s"),
        ("parse and clean as a worker does, one process (against bleach alone)",
         lambda r: f"{r['clean_alone']:.2f} s ({r['clean_alone'] / r['bleach_floor']:.2f}×)"),
        ("floor: bleach alone in as many processes as cores (wall, median of the turns)",
         lambda r: f"{r['floor']:.2f} s ({r['cores']:.0f} processes)"),
        ("interpreter start (`python -c pass`), in every process figure",
         lambda r: f"{r['interpreter']:.3f} s"),
        ("cold: cleaning (median of every configuration's cold runs)",
         lambda r: f"{r['cleaning']:.2f} s" if "cleaning" in r else "—"),
    ]
    for name in configurations:
        rows += _configuration_rows(name, ratio, shared)
    rows += [
        ("daemon: search index built in the background after its start", lambda r: f"{r['search_build']:.0f} s"
         if "search_build" in r else "—"),
        ("daemon latency median / p95", lambda r: f"{r['latency_median']:.2f} / {r['latency_p95']:.2f} s"
         if "latency_median" in r else "—"),
        ("daemon: incremental run (median, its own log)", lambda r: f"{r['daemon_run']:.3f} s"
         if "daemon_run" in r else "—"),
        ("daemon idle CPU", lambda r: f"{r['idle_cpu']:.1f} %" if "idle_cpu" in r else "—"),
        (f"daemon: burst of {BURST:,} seeds: regenerations (seconds to served)",
         lambda r: f"{r['burst_regenerations']:.0f} ({r['burst_seconds']:.1f} s)" if "burst_regenerations" in r
         else "—"),
        ("daemon peak RSS (after all of the above)", lambda r: f"{r['daemon_rss_mb']:.0f} MB"
         if "daemon_rss_mb" in r else "—"),
        ("HTTP 304/s", lambda r: f"{r['http']:,.0f}" if "http" in r else "—"),
    ]
    header = ["figure", *[f"N = {r['seeds']:,.0f}" for r in results]]
    lines = [header, ["---"] * len(header)]
    lines += [[name, *[str(fmt(r)) for r in results]] for name, fmt in rows]
    for line in lines:
        print("| " + " | ".join(line) + " |")
    if all(r.get("cold_from_disk") for r in results):
        print("\ncold runs start with an empty page cache: they read the seeds (and the program) from the disk")
    else:
        print("\nthe page cache could not be emptied before cold runs (it takes root on Linux): seeds still cached "
              "since they were generated are read from memory, so sizes that fit in memory and sizes that do not "
              "are not measured alike")
    if len(results) > 1:
        first, last = results[0], results[-1]
        growth = ", ".join(f"{kind} ×{last[f'default:{kind}'] / first[f'default:{kind}']:.1f}"
                           for kind in ("cold", "warm", "incremental") if f"default:{kind}" in first)
        print(f"\ngrowth from N = {first['seeds']:,.0f} to {last['seeds']:,.0f} "
              f"(×{last['seeds'] / first['seeds']:.0f} seeds), default configuration: {growth}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seeds", type=int, action="append", help="corpus size (repeatable); default 1000 and 10000")
    parser.add_argument("--large", action="store_true", help="add a 100,000-seed run")
    parser.add_argument("--no-daemon", action="store_true", help="skip the daemon and HTTP figures")
    parser.add_argument("--repeat", type=int, default=1, metavar="K",
                        help="make each cold run K times, the configurations taking turns, and report the median")
    parser.add_argument("--bodies", choices=sorted(ARTICLES), default="heavy",
                        help="articles: heavy (generated, 5-30 KB, the default), real (generated, sized as in real "
                             "archives) or corpus (the real articles of ../shared/corpus)")
    parser.add_argument("--config", action="append", choices=sorted(CONFIGURATIONS),
                        help="configurations to compare (repeatable); default: all of them")
    args = parser.parse_args(argv)
    sizes = args.seeds or [1_000, 10_000]
    if args.large:
        sizes.append(100_000)
    configurations = [name for name in CONFIGURATIONS if name in (args.config or CONFIGURATIONS)]
    results = []
    for count in sizes:
        print(f"measuring N = {count:,} …", file=sys.stderr, flush=True)
        results.append(measure(count, not args.no_daemon and "default" in configurations, configurations,
                               max(1, args.repeat), args.bodies))
    for name in configurations:
        print(f"- {name}: {CONFIGURATIONS[name][0]}")
    print_table(results, configurations, args.bodies)
