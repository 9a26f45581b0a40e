"""`python -m pipelines`: provision models and run any task from a shell, printing JSON.

python -m pipelines models pull [NAME ...]
python -m pipelines models prepare [--background]
python -m pipelines models list [--json]
python -m pipelines run image-classification [--model NAME] IMAGE... [--top-k K]
python -m pipelines serve start [--host 127.0.0.1] [--port 8000] | status [--json] [--address URL] | stop
python -m pipelines serve config [--pin APPLICATION=RESOURCE ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict

from pipelines.errors import InputError, ShowroomError
from pipelines.provisioning.prepare import prepare_once, start_in_background
from pipelines.provisioning.provision import model_statuses, pull

TaskRunner = Callable[[argparse.Namespace], object]


def _pull(args: argparse.Namespace) -> int:
    results = pull(args.names)
    failed = [result for result in results if result.outcome == "failed"]
    built = sum(result.outcome == "built" for result in results)
    fresh = len(results) - built - len(failed)
    print(f"\n{len(results)} model(s): {built} built, {fresh} up to date, {len(failed)} failed")
    for result in failed:
        print(f"  {result.name} failed: {result.error}", file=sys.stderr)
    return 1 if failed else 0


def _prepare(args: argparse.Namespace) -> int:
    if args.background:
        print(start_in_background())
        return 0
    results = prepare_once()
    return 1 if results is None or any(result.outcome == "failed" for result in results) else 0


def _list(args: argparse.Namespace) -> int:
    statuses = model_statuses()
    if args.json:
        rows = [
            {
                "name": status.spec.name,
                "task": status.spec.task,
                "state": status.state,
                "size_mb": status.size_mb,
                "licence": status.spec.licence,
                "source": status.spec.source,
                "task_default": status.spec.task_default,
                "path": str(status.path),
            }
            for status in statuses
        ]
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'name':<24} {'task':<22} {'state':<9} {'size':>8}  licence / source")
    for status in statuses:
        spec = status.spec
        print(f"{spec.name:<24} {spec.task:<22} {status.state:<9} {status.size_mb:>6.1f}MB  {spec.licence}")
        print(f"{'':<67}{spec.source}")
    return 0


def _classify(args: argparse.Namespace) -> object:
    from pipelines.tasks.image_classification import classify_image

    return [classify_image(path, args.model, args.top_k).as_json() for path in args.images]


def _detect(args: argparse.Namespace) -> object:
    from pipelines.tasks.object_detection import detect_objects

    return [detect_objects(path, args.model, args.threshold).as_json() for path in args.images]


def _transcribe(args: argparse.Namespace) -> object:
    from pipelines.tasks.speech_to_text import transcribe

    return [
        transcribe(path, args.model, args.timestamps, args.language).as_json(args.timestamps) for path in args.audio
    ]


def _recommend(args: argparse.Namespace) -> object:
    from pipelines.tasks import recommender

    if args.similar_to:
        picks = recommender.similar_movies(args.similar_to, args.by, args.k)
    elif args.query is not None:
        picks = recommender.search(args.query, args.k)
    elif args.user is not None:
        picks = recommender.for_user(args.user, args.method, args.k)
    else:
        picks = recommender.from_likes(args.likes, args.method, args.k)
    return [pick.as_json() for pick in picks]


def _chat(args: argparse.Namespace) -> object:
    from pipelines.tasks.text_generation import GenerationSettings, generate_reply

    if args.preset == "customer-service":
        return _grounded(args)
    sampling = args.temperature is not None
    settings = GenerationSettings(
        max_new_tokens=args.max_new_tokens,
        sample=sampling,
        temperature=args.temperature if sampling else 0.7,
        top_p=args.top_p,
        repetition_penalty=args.repetition_penalty,
    )
    return {"generated_text": generate_reply(args.prompt, args.system, args.model, settings)}


def _grounded(args: argparse.Namespace) -> object:
    """The customer-service assistant as the chat page runs it: retrieved facts, the guard, sources."""
    from pathlib import Path

    from pipelines.assistant.chat_presets import CUSTOMER_SERVICE
    from pipelines.assistant.replies import answer_from_facts
    from pipelines.serving.chat_prompt import ChatMessage

    facts = CUSTOMER_SERVICE.default_context or ""
    if args.facts:
        path = Path(args.facts)
        if not path.is_file():
            raise InputError(f"There is no file at {path}. Give a text file with the facts, one per line or paragraph.")
        facts = path.read_text(encoding="utf-8", errors="replace")
    answer = answer_from_facts([ChatMessage("user", args.prompt)], facts, args.model)
    return {
        "generated_text": answer.read(),
        "sources": answer.source_texts,
        "declined": answer.declined,
        "notices": answer.notices,
    }


def _texts(args: argparse.Namespace) -> list[str]:
    """TEXT arguments, then the lines of --file if given."""
    from pathlib import Path

    texts = list(args.texts)
    if args.file:
        path = Path(args.file)
        if not path.is_file():
            raise InputError(f"There is no file at {path}. Give a text file with one text per line.")
        texts += [line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    return texts


def _sentiment(args: argparse.Namespace) -> object:
    from pipelines.tasks.sentiment import analyse_sentiment

    return [result.as_json() for result in analyse_sentiment(_texts(args), args.model).results]


def _translate(args: argparse.Namespace) -> object:
    from pipelines.tasks.translation import translate

    return [result.as_json() for result in translate(_texts(args), args.source, args.target, args.model).results]


def _add_task_parsers(run: argparse._SubParsersAction) -> None:
    sentiment = run.add_parser("sentiment", help="negative / neutral / positive scores, one result per text")
    sentiment.add_argument("texts", nargs="*", metavar="TEXT")
    sentiment.add_argument("--file", help="a text file with one text per line (blank lines are skipped)")
    sentiment.add_argument("--model", help="catalog name, local folder or hub id (default: the task's default)")
    sentiment.set_defaults(runner=_sentiment)
    translation = run.add_parser("translation", help="translate each text, e.g. --source en --target pt")
    translation.add_argument("texts", nargs="*", metavar="TEXT")
    translation.add_argument("--file", help="a text file with one text per line (blank lines are skipped)")
    translation.add_argument("--source", required=True, help="language code of the texts, e.g. en")
    translation.add_argument("--target", required=True, help="language code to translate into, e.g. pt")
    translation.add_argument("--model", help="catalog name, local folder or hub id (default: the pair's model)")
    translation.set_defaults(runner=_translate)
    chat = run.add_parser("text-generation", help="answer a prompt with the chat assistant (greedy by default)")
    chat.add_argument("prompt", metavar="PROMPT")
    chat.add_argument("--system", help="system prompt")
    chat.add_argument("--model", help="catalog name, local folder or hub id (default: the task's default)")
    chat.add_argument("--max-new-tokens", type=int, default=256)
    chat.add_argument("--temperature", type=float, help="sample at this temperature instead of greedy decoding")
    chat.add_argument("--top-p", type=float, default=0.9, help="when sampling: nucleus sampling's top-p (default 0.9)")
    chat.add_argument("--repetition-penalty", type=float, default=1.15, help="1 turns it off (default 1.15)")
    chat.add_argument(
        "--preset",
        choices=["customer-service"],
        help="answer from facts, as the chat page's customer-service assistant (prints sources, declined)",
    )
    chat.add_argument("--facts", help="with --preset customer-service: a text file of facts (default: Northwind's)")
    chat.set_defaults(runner=_chat)
    classify = run.add_parser("image-classification", help="label images with ImageNet classes")
    classify.add_argument("images", nargs="+", metavar="IMAGE")
    classify.add_argument("--model", help="catalog name, local folder or hub id (default: the task's default)")
    classify.add_argument("--top-k", type=int, default=5)
    classify.set_defaults(runner=_classify)
    detect = run.add_parser("object-detection", help="find COCO objects: per image, boxes with label and score")
    detect.add_argument("images", nargs="+", metavar="IMAGE")
    detect.add_argument("--model", help="catalog name, local folder or hub id (default: the task's default)")
    detect.add_argument("--threshold", type=float, default=0.3, help="lowest score shown (default 0.3)")
    detect.set_defaults(runner=_detect)
    speech = run.add_parser("speech-to-text", help="transcribe recordings (any common audio format)")
    speech.add_argument("audio", nargs="+", metavar="AUDIO")
    speech.add_argument("--model", help="catalog name, local folder or hub id (default: the task's default)")
    speech.add_argument("--timestamps", action="store_true", help="add timestamped chunks")
    speech.add_argument("--language", help="multilingual models: the spoken language (default: detect it)")
    speech.set_defaults(runner=_transcribe)
    recommend = run.add_parser("recommender", help="MovieLens 100K: similar movies, text search, per-user lists")
    start = recommend.add_mutually_exclusive_group(required=True)
    start.add_argument("--similar-to", metavar="TITLE", help="movies like this one, e.g. 'Toy Story (1995)'")
    start.add_argument("--query", metavar="TEXT", help="describe what you want to watch")
    start.add_argument("--user", type=int, metavar="ID", help="recommendations for a MovieLens user (1-943)")
    start.add_argument("--likes", nargs="+", metavar="TITLE", help="cold start: movies you like")
    recommend.add_argument("--method", help="per-user and --likes lists (default: the best measured)")
    recommend.add_argument("--by", choices=["content", "co-ratings"], default="content", help="for --similar-to")
    recommend.add_argument("--k", type=int, default=10, help="how many (1-100, default 10)")
    recommend.set_defaults(runner=_recommend)


def _serve_start(args: argparse.Namespace) -> int:
    from pipelines.scaleout import cluster

    state = cluster.start(args.host, args.port, dict(args.replicas))
    print(f"Serving at {state.url}; point the dashboard at it with SHOWROOM_SERVE_URL={state.url}")
    if not args.foreground:
        return 0
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        return _serve_stop(args)


def _serve_status(args: argparse.Namespace) -> int:
    if args.address:
        from pipelines.scaleout.cluster_status import cluster_status

        report = cluster_status(args.address)
    else:
        from pipelines.scaleout import cluster

        report = cluster.status()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"Serving at {report['url']}")
    for row in report["deployments"]:
        print(
            f"  {row['name']:<24} {row['state']:<10} {row['replicas']} replica(s) running: {', '.join(row['models'])}"
        )
        if "note" in row:
            print(f"  {'':<24} {row['note']}")
    return 0


def _serve_stop(args: argparse.Namespace) -> int:
    from pipelines.scaleout import cluster

    stopped = cluster.stop()
    print(f"Stopped the model server ({len(stopped)} Ray processes)." if stopped else "No model server was running.")
    return 0


def _serve_config(args: argparse.Namespace) -> int:
    import yaml

    from pipelines.scaleout.app import serve_config

    print(CONFIG_HEADER + yaml.safe_dump(serve_config(pins=dict(args.pin)), sort_keys=False), end="")
    return 0


CONFIG_HEADER = """\
# Ray Serve config for Showroom's models, written by `python -m pipelines serve config > serve.yaml`.
# On a cluster: every node has this repository on PYTHONPATH and the models in SHOWROOM_HOME
# (`make models`); then `serve deploy serve.yaml` (a test checks it against Ray's own schema).
"""


def _replica_count(text: str) -> tuple[str, int]:
    name, _, count = text.partition("=")
    if not count.isdigit() or not 1 <= int(count) <= 16:
        raise argparse.ArgumentTypeError(f"'{text}' is not MODEL=N with N from 1 to 16")
    return name, int(count)


def _pin(text: str) -> tuple[str, str]:
    name, _, resource = text.partition("=")
    if not name or not resource.isidentifier():
        raise argparse.ArgumentTypeError(f"'{text}' is not APPLICATION=RESOURCE with a resource name like chat_node")
    return name, resource


def _add_pairs(parser: argparse.ArgumentParser, flag: str, parse: Callable, metavar: str, help_text: str) -> None:
    """An option that takes one or more NAME=VALUE pairs, each checked by `parse`."""
    parser.add_argument(flag, nargs="+", type=parse, default=[], metavar=metavar, help=help_text)


def _add_serve_parsers(serve: argparse._SubParsersAction) -> None:
    start = serve.add_parser("start", help="start Ray on loopback and serve every provisioned model")
    start.add_argument("--host", default="127.0.0.1", help="where the HTTP proxy listens (default 127.0.0.1)")
    start.add_argument("--port", type=int, default=8000, help="the HTTP proxy's port (default 8000)")
    start.add_argument("--foreground", action="store_true", help="keep running until Ctrl-C, then stop")
    _add_pairs(
        start,
        "--replicas",
        _replica_count,
        "MODEL=N",
        "replicas of a model with its own application, or of the light group (light=N); 1 each",
    )
    start.set_defaults(handler=_serve_start)
    status = serve.add_parser("status", help="the deployments: model, replicas running, state")
    status.add_argument("--json", action="store_true")
    status.add_argument(
        "--address", help="a cluster's Ray dashboard (http://HEAD:8265), for an application `serve deploy` started"
    )
    status.set_defaults(handler=_serve_status)
    serve.add_parser("stop", help="stop the application and the Ray processes it started").set_defaults(
        handler=_serve_stop
    )
    config = serve.add_parser("config", help="print the Ray Serve config file for a cluster (serve.yaml)")
    _add_pairs(
        config,
        "--pin",
        _pin,
        "APPLICATION=RESOURCE",
        "run an application's replicas only on nodes that offer a custom resource (ray start --resources)",
    )
    config.set_defaults(handler=_serve_config)


def _run(args: argparse.Namespace) -> int:
    print(json.dumps(args.runner(args), indent=2, default=asdict, ensure_ascii=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description="Showroom's engine from the shell.")
    commands = parser.add_subparsers(dest="command", required=True)
    models = commands.add_parser("models", help="provision and list models").add_subparsers(
        dest="action", required=True
    )
    pull_parser = models.add_parser("pull", help="fetch, verify and convert models (default: the default set)")
    pull_parser.add_argument("names", nargs="*", metavar="NAME")
    pull_parser.set_defaults(handler=_pull)
    prepare_parser = models.add_parser(
        "prepare", help="what `make run` does: the default models cheapest first, then the reports, step by step"
    )
    prepare_parser.add_argument(
        "--background", action="store_true", help="in its own process, its output in SHOWROOM_HOME/provisioning"
    )
    prepare_parser.set_defaults(handler=_prepare)
    list_parser = models.add_parser("list", help="show every catalog model and whether it is provisioned")
    list_parser.add_argument("--json", action="store_true")
    list_parser.set_defaults(handler=_list)
    run = commands.add_parser("run", help="run a task and print JSON").add_subparsers(dest="task", required=True)
    _add_task_parsers(run)
    for task_parser in run.choices.values():
        task_parser.set_defaults(handler=_run)
    serve = commands.add_parser("serve", help="serve the models on Ray Serve (SHOWROOM_SERVE_URL)")
    _add_serve_parsers(serve.add_subparsers(dest="action", required=True))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ShowroomError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
