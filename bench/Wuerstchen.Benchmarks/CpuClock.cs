using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Wuerstchen.Benchmarks;

/// <summary>
/// CPU seconds consumed by this process (all threads). On Linux it reads CLOCK_PROCESS_CPUTIME_ID, which
/// is exact to the nanosecond; Process.TotalProcessorTime ticks in 10 ms steps, too coarse for one GEMM.
/// On a machine shared with other work this shows what a run costs while it actually holds a core.
/// </summary>
public static partial class CpuClock
{
    private const int ClockProcessCpuTimeId = 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec time);

    public static double Seconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ClockProcessCpuTimeId, out var t) == 0)
            return t.Seconds + t.Nanoseconds * 1e-9;
        return Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
    }
}
