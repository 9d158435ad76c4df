# JupyterHub for a class: one shared server, the course's environment, one read-only assets/
# folder, a private copy of notebooks/ per learner, kernels and servers culled when idle.
#
#   jupyterhub -f instructors/jupyterhub/jupyterhub_config.py
#
# Everything a room changes is an environment variable (defaults in brackets):
#   COURSE_ROOT           the course checkout, read-only for learners [two folders up from here]
#   COURSE_ASSETS_DIR     the built assets, shared read-only [$COURSE_ROOT/assets]
#   COURSE_HUB_STATE      where the hub keeps its database and cookie secret [/srv/course-hub]
#   COURSE_HUB_BIND       the address learners open [http://:8000]
#   COURSE_HUB_PROXY_API, COURSE_HUB_INTERNAL_PORT  the proxy's API and the hub's own port, both
#                         on loopback [http://127.0.0.1:8001, 8081]
#   COURSE_HUB_MODE       "class": system users (PAM log-in) and LocalProcessSpawner;
#                         "test": DummyAuthenticator with COURSE_HUB_PASSWORD and
#                         SimpleLocalProcessSpawner (no isolation: for trying it out only) [class]
#   COURSE_HUB_HOMES      the learners' home folders in test mode [$COURSE_HUB_STATE/homes]
#   COURSE_HUB_ADMINS     comma-separated admin user names (they can open any learner's server)
#   COURSE_HUB_MEM        memory planned per learner, shown to the learner [3G]
#   COURSE_HUB_IDLE       seconds of inactivity before a kernel, then a server, is stopped [3600]
#   COURSE_HUB_API_TOKEN  a token for the "course-admin" service (collecting work, tests) [none]
#   CONFIGURABLE_HTTP_PROXY  the proxy command [instructors/jupyterhub/node_modules/.bin/...]
#
# What each learner gets on first log-in (pre_spawn_hook below), in their home folder:
#   course/notebooks/   a private copy of the course's student notebooks (never overwritten)
#   course/assets       -> the shared assets folder (read-only)
#   course/scripts      -> the course's scripts/ (read-only; lesson 11 runs ../scripts/...)
# Their server starts in course/notebooks, with COURSE_ASSETS_DIR pointing at the shared assets.
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COURSE_ROOT = Path(os.environ.get("COURSE_ROOT") or HERE.parent.parent).resolve()
ASSETS = Path(os.environ.get("COURSE_ASSETS_DIR") or COURSE_ROOT / "assets").resolve()
STATE = Path(os.environ.get("COURSE_HUB_STATE") or "/srv/course-hub")
MODE = os.environ.get("COURSE_HUB_MODE", "class")
IDLE = int(os.environ.get("COURSE_HUB_IDLE", "3600"))
MEM = os.environ.get("COURSE_HUB_MEM", "3G")
if MODE not in ("class", "test"):
    sys.exit(f"COURSE_HUB_MODE must be 'class' or 'test', not {MODE!r}")
STATE.mkdir(parents=True, exist_ok=True)

c = get_config()  # noqa: F821 (provided by JupyterHub)

c.JupyterHub.bind_url = os.environ.get("COURSE_HUB_BIND", "http://:8000")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
# The hub's internal API and the proxy's API stay on loopback.
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("COURSE_HUB_INTERNAL_PORT", "8081"))
proxy = os.environ.get("CONFIGURABLE_HTTP_PROXY") or str(
    HERE / "node_modules" / ".bin" / "configurable-http-proxy")
c.ConfigurableHTTPProxy.command = [proxy]
c.ConfigurableHTTPProxy.api_url = os.environ.get("COURSE_HUB_PROXY_API", "http://127.0.0.1:8001")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every learner's server

# ------------------------------------------------------------------ log-in and spawner
if MODE == "class":
    # Learners are system users (create them from a roster: see instructors/jupyterhub/README.md)
    # and log in with their system password; each server runs as its own user.
    c.JupyterHub.authenticator_class = "pam"
    c.JupyterHub.spawner_class = "localprocess"
else:
    from jupyterhub.auth import DummyAuthenticator

    c.JupyterHub.authenticator_class = DummyAuthenticator
    c.DummyAuthenticator.password = os.environ.get("COURSE_HUB_PASSWORD") or sys.exit(
        "COURSE_HUB_MODE=test needs COURSE_HUB_PASSWORD (the one password every user logs in with)")
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(
        Path(os.environ.get("COURSE_HUB_HOMES") or STATE / "homes") / "{username}")
c.Authenticator.allow_all = True  # everyone who can log in (PAM: every system user) may use it
admins = {n.strip() for n in os.environ.get("COURSE_HUB_ADMINS", "").split(",") if n.strip()}
c.Authenticator.admin_users = admins

# The learners' servers run the course's own environment: the Python this hub runs in must be
# the course's (jupyterhub is installed into it; instructors/jupyterhub/requirements.txt).
bindir = Path(sys.executable).parent
c.Spawner.cmd = [str(bindir / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~/course/notebooks"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {
    "COURSE_ASSETS_DIR": str(ASSETS),
    # the course's utils come from COURSE_ROOT, whatever else is on the path
    "PYTHONPATH": os.pathsep.join(filter(None, [str(COURSE_ROOT), os.environ.get("PYTHONPATH")])),
    "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
    # Two cores per kernel is what the lessons were timed on; more threads per learner on a
    # shared machine only make the learners wait on each other.
    "OMP_NUM_THREADS": os.environ.get("COURSE_HUB_THREADS", "2"),
    "TF_NUM_INTEROP_THREADS": "1",
    "TF_NUM_INTRAOP_THREADS": os.environ.get("COURSE_HUB_THREADS", "2"),
    "TOKENIZERS_PARALLELISM": "false",
}
# Memory: a lesson's kernel peaks at 0.7-2.8 GB (README, Performance); one kernel and the server
# itself fit in 3 GB. LocalProcessSpawner does not enforce this figure: it is shown to learners
# (MEM_LIMIT) and used to size the machine. Stopping idle kernels (below) is what keeps memory
# free; for a hard limit per learner use a cgroup-based spawner (README.md, "Memory").
c.Spawner.mem_limit = MEM
# Idle culling, at two levels: the learner's server stops idle kernels after IDLE seconds and
# kernels with nothing running for that long; the hub's culler stops a whole server idle that long.
c.Spawner.args = [
    f"--MappingKernelManager.cull_idle_timeout={IDLE}",
    "--MappingKernelManager.cull_interval=60",
    "--MappingKernelManager.cull_connected=True",
    f"--ServerApp.shutdown_no_activity_timeout={IDLE * 2}",
]
if MODE == "test" and os.geteuid() == 0:
    c.Spawner.args.append("--allow-root")

c.JupyterHub.load_roles = [{
    "name": "jupyterhub-idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["jupyterhub-idle-culler"],
}]
c.JupyterHub.services = [{
    "name": "jupyterhub-idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={IDLE}",
                "--cull-every=300"],
}]
token = os.environ.get("COURSE_HUB_API_TOKEN")
if token:
    # An instructor's service account: list users, start and stop servers, read their files.
    c.JupyterHub.services.append({"name": "course-admin", "api_token": token})
    c.JupyterHub.load_roles.append({"name": "course-admin", "services": ["course-admin"],
                                    "scopes": ["admin:users", "admin:servers",
                                               "access:servers", "list:users"]})


# ------------------------------------------------------------------ first log-in: the copy
def course_home(spawner) -> Path:
    if MODE == "test":
        return Path(spawner.home_dir)
    import pwd

    return Path(pwd.getpwnam(spawner.user.name).pw_dir)


def prepare_learner(spawner):
    """Give the learner their own copy of notebooks/ (once) and links to the shared folders."""
    home = course_home(spawner)
    course = home / "course"
    notebooks = course / "notebooks"
    course.mkdir(parents=True, exist_ok=True)
    if not notebooks.exists():
        tmp = course / ".notebooks.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(COURSE_ROOT / "notebooks", tmp,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        os.replace(tmp, notebooks)  # complete or absent, never half-copied
        spawner.log.info("course: copied notebooks/ for %s into %s", spawner.user.name, notebooks)
    for name, target in (("assets", ASSETS), ("scripts", COURSE_ROOT / "scripts")):
        link = course / name
        if not link.is_symlink() and not link.exists():
            link.symlink_to(target, target_is_directory=True)
    if MODE == "class" and os.geteuid() == 0:
        import pwd

        entry = pwd.getpwnam(spawner.user.name)
        for folder, _, files in os.walk(course):
            os.chown(folder, entry.pw_uid, entry.pw_gid)
            for f in files:
                os.chown(os.path.join(folder, f), entry.pw_uid, entry.pw_gid, follow_symlinks=False)


c.Spawner.pre_spawn_hook = prepare_learner
