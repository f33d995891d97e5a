// Share of CPU samples per kind of work in an EventPipe trace of `wuerstchen bench`:
//
//   DOTNET_EnableEventPipe=1 DOTNET_EventPipeOutputPath=bench.nettrace \
//   DOTNET_EventPipeConfig='Microsoft-DotNETCore-SampleProfiler:0:5,Microsoft-Windows-DotNETRuntime:0x4c14fccbd:5' \
//     wuerstchen bench --stage prior --random-weights --reps 1
//   dotnet run -c Release --project scripts/ProfileOps -- bench.nettrace [LAST_SECONDS]
//
// PROFILE_METHODS=1 adds the shares per innermost method and the model method that called it.
// With LAST_SECONDS only the samples of the trace's last seconds count (e.g. the last forward, leaving out model
// building and random weight drawing); a per-thread breakdown follows the totals.
//
// The runtime samples every managed thread each millisecond. A sample counts as work when its innermost
// Wuerstchen frame is not waiting; it is charged to the innermost method under Wuerstchen.Kernels (or, failing that,
// Wuerstchen.Tensors / Wuerstchen.Models), grouped by the kernel's class name — Gemm, DepthwiseConv, LayerNorm, ….
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: ProfileOps TRACE.nettrace [LAST_SECONDS]");
    return 2;
}

string etlx = TraceLog.CreateFromEventPipeDataFile(args[0]);
using var log = new TraceLog(etlx);
var byKind = new Dictionary<string, int>();
double windowStart = args.Length > 1 ? log.SessionEndTimeRelativeMSec - double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) * 1000 : 0;
var perThread = new Dictionary<(int, string), int>();
var byMethod = new Dictionary<string, int>();
int total = 0;
foreach (var e in log.Events)
{
    if (e.ProviderName != "Microsoft-DotNETCore-SampleProfiler" || e.EventName != "Thread/Sample") continue;
    if (e.TimeStampRelativeMSec < windowStart) continue;
    string? kind = null, fallback = null, innermost = null, caller = null;
    bool waiting = false, inThreads = false;
    for (var frame = e.CallStack(); frame != null; frame = frame.Caller)
    {
        string method = frame.CodeAddress.FullMethodName ?? "";
        if (method.Length == 0) continue;
        if (fallback == null && kind == null && IsWait(method))
        {
            waiting = true;
            break;
        }
        if (innermost == null && method.StartsWith("Wuerstchen.", StringComparison.Ordinal)) innermost = Short(method);
        if (caller == null && method.StartsWith("Wuerstchen.Models.", StringComparison.Ordinal)) caller = Short(method);
        if (method.StartsWith("Wuerstchen.Kernels.", StringComparison.Ordinal))
        {
            string group = Group(method["Wuerstchen.Kernels.".Length..]);
            // The outermost kernel wins: GEMMs called by the attention kernel count as attention.
            if (group == "Threads") { if (fallback == null) inThreads = true; }
            else kind = group;
        }
        else if (fallback == null && method.StartsWith("Wuerstchen.", StringComparison.Ordinal))
            fallback = Group(method["Wuerstchen.".Length..]);
    }
    // A parallel loop's body outside the kernels (e.g. drawing random weights) is charged to its own code, found
    // deeper in the stack than Threads; only Threads frames with nothing of ours inside them are spinning.
    string? charged = kind ?? (inThreads ? "Threads (spinning, handing out work)" : fallback);
    if (waiting || charged == null) continue;
    byKind[charged] = byKind.GetValueOrDefault(charged) + 1;
    perThread[(e.ThreadID, charged)] = perThread.GetValueOrDefault((e.ThreadID, charged)) + 1;
    string site = $"{innermost} ← {caller}";
    byMethod[site] = byMethod.GetValueOrDefault(site) + 1;
    total++;
}

Console.WriteLine($"{total} working samples (1 ms each, all threads)");
foreach (var (kind, count) in byKind.OrderByDescending(p => p.Value))
    Console.WriteLine($"{kind,-40} {100.0 * count / total,6:F1} %");
foreach (var g in perThread.GroupBy(p => p.Key.Item1))
{
    int t = g.Sum(p => p.Value);
    Console.WriteLine($"thread {g.Key}: {t} samples; " + string.Join(", ", g.OrderByDescending(p => p.Value).Take(5).Select(p => $"{p.Key.Item2} {100.0 * p.Value / t:F1}%")));
}
if (Environment.GetEnvironmentVariable("PROFILE_METHODS") == "1")
{
    Console.WriteLine("innermost method ← innermost model method:");
    foreach (var (site, count) in byMethod.OrderByDescending(p => p.Value).Take(40))
        Console.WriteLine($"{100.0 * count / total,6:F1} %  {site}");
}
return 0;

// "Wuerstchen.Kernels.Bf16.Bf16Driver`1[…].Run(…)" → "Bf16.Bf16Driver.Run"
static string Short(string method)
{
    string s = method["Wuerstchen.".Length..];
    int paren = s.IndexOf('(');
    if (paren >= 0) s = s[..paren];
    while (s.IndexOf('[') is var open and >= 0 && s.IndexOf(']', open) is var close and >= 0) s = s[..open] + s[(close + 1)..];
    while (s.IndexOf('`') is var tick and >= 0) { int end = tick + 1; while (end < s.Length && char.IsDigit(s[end])) end++; s = s[..tick] + s[end..]; }
    return s.StartsWith("Kernels.", StringComparison.Ordinal) ? s["Kernels.".Length..] : s;
}

static bool IsWait(string method) =>
    method.Contains("Monitor.Wait") || method.Contains("WaitHandle") || method.Contains("Thread.Sleep") ||
    method.Contains("LowLevelLifoSemaphore") || method.Contains("SemaphoreSlim.Wait") || method.Contains("ManualResetEventSlim.Wait");

// "Gemm.Sgemm(...)" → "Gemm"; nested and generic types keep their outer name ("Threads+WorkerPool.Run" → "Threads",
// "GemmDriver`1[…].Run" → "Gemm"); the Ops layer and models keep "Tensors.Ops" / "Models.X".
static string Group(string method)
{
    int end = method.IndexOfAny(['+', '`', '(', '[']);
    string type = end < 0 ? method : method[..end];
    int lastDot = type.LastIndexOf('.');
    if (lastDot > 0) type = type[..lastDot];            // drop the method name
    type = type.TrimEnd('.');
    return type.StartsWith("Gemm", StringComparison.Ordinal) ? "Gemm" : type;
}
