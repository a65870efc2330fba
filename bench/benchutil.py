"""benchutil.py — what the Python parts of the benchmark scripts share (bench/linuxboot.sh,
bench/disk.sh import it from the directory they pass in)."""
import os


def proc_cpu(pid):
    """CPU seconds (user + system, all threads) process pid has used so far, from
    /proc/PID/stat (utime and stime, fields 14 and 15, in clock ticks), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None
