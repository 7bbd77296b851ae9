"A real one-node Slurm cluster on localhost for the tests: munged, slurmctld and slurmd from Debian's slurm-wlm and munge."
import os, shutil, socket, subprocess, time
from contextlib import contextmanager
from pathlib import Path

DAEMONS = ('munged', 'slurmctld', 'slurmd')

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]

def missing() -> list:
    "The daemons and commands this cluster needs that are not installed"
    return [c for c in (*DAEMONS, 'sbatch', 'squeue', 'scancel', 'scontrol', 'sinfo') if not shutil.which(c)]

def slurm_conf(d:Path, cpus:int) -> str:
    host = socket.gethostname().split('.')[0]
    return '\n'.join([
        'ClusterName=autodotest', f'SlurmctldHost={host}(127.0.0.1)',
        f'SlurmctldPort={_free_port()}', f'SlurmdPort={_free_port()}', 'SlurmUser=root', 'SlurmdUser=root',
        'AuthType=auth/munge', f'AuthInfo=socket={d}/munge.sock', 'CredType=cred/munge',
        f'StateSaveLocation={d}/state', f'SlurmdSpoolDir={d}/spool',
        f'SlurmctldPidFile={d}/slurmctld.pid', f'SlurmdPidFile={d}/slurmd.pid',
        f'SlurmctldLogFile={d}/slurmctld.log', f'SlurmdLogFile={d}/slurmd.log',
        'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none', 'JobAcctGatherType=jobacct_gather/none',
        'AccountingStorageType=accounting_storage/none', 'SchedulerType=sched/backfill',
        'SelectType=select/cons_tres', 'SelectTypeParameters=CR_CPU', 'ReturnToService=2', 'MpiDefault=none',
        'KillWait=5', 'MinJobAge=60',
        f'NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=4000 State=UNKNOWN',
        'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP', ''])

@contextmanager
def one_node_cluster(d:Path, cpus:int=2):
    "Start munged, slurmctld and slurmd under `d`; yields the environment that points Slurm's commands at them"
    d.mkdir(parents=True, exist_ok=True)
    for sub in ('state', 'spool'): (d / sub).mkdir(exist_ok=True)
    key = d / 'munge.key'
    key.write_bytes(os.urandom(1024)); key.chmod(0o600)
    (d / 'slurm.conf').write_text(slurm_conf(d, cpus))
    env = dict(os.environ, SLURM_CONF=str(d / 'slurm.conf'))
    procs = []
    try:
        procs.append(subprocess.Popen(['munged', '-F', '--force', f'--key-file={key}', f'--socket={d}/munge.sock',
                                       f'--pid-file={d}/munged.pid', f'--log-file={d}/munged.log', f'--seed-file={d}/munged.seed'],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        while not (d / 'munge.sock').exists(): time.sleep(0.05)
        procs.append(subprocess.Popen(['slurmctld', '-D', '-i'], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(['slurmd', '-D'], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.time() + 60
        while time.time() < deadline:
            r = subprocess.run(['sinfo', '--noheader', '--format=%t'], env=env, capture_output=True, text=True)
            if r.stdout.strip() == 'idle': break
            if any(p.poll() is not None for p in procs): break
            time.sleep(0.2)
        else: raise RuntimeError('the test cluster did not come up: ' + (d / 'slurmctld.log').read_text()[-2000:])
        if any(p.poll() is not None for p in procs):
            raise RuntimeError('a Slurm daemon stopped: ' + ''.join((d / f).read_text()[-1500:] for f in ('slurmctld.log', 'slurmd.log')
                                                                  if (d / f).exists()))
        yield env
    finally:
        subprocess.run(['scancel', '--user', 'root'], env=env, capture_output=True)
        for p in reversed(procs):
            p.terminate()
            try: p.wait(timeout=20)
            except subprocess.TimeoutExpired: p.kill()
