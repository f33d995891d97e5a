using System.Diagnostics;
using Spectre.Console;
using Wuerstchen.Pipelines;

namespace Wuerstchen.Cli;

/// <summary>
/// Shows pipeline progress on the error stream: one live bar per stage on a terminal, otherwise one plain line per
/// step (readable in logs and CI). Warnings are printed either way.
/// </summary>
public sealed class StageProgress
{
    private readonly CliContext _context;

    public StageProgress(CliContext context) => _context = context;

    private static string Describe(PipelineStage stage) => stage switch
    {
        PipelineStage.PriorTextEncoder => "prior text encoder",
        PipelineStage.Prior => "Stage C (prior)",
        PipelineStage.DecoderTextEncoder => "decoder text encoder",
        PipelineStage.Decoder => "Stage B (decoder)",
        PipelineStage.VqGan => "Stage A (VQGAN)",
        _ => stage.ToString(),
    };

    /// <summary>Runs <paramref name="work"/> with callbacks that report to the console.</summary>
    public T Run<T>(Func<PipelineCallbacks, T> work)
    {
        if (!_context.ErrorIsTerminal) return work(PlainLines());

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(_context.Error) });
        return new Progress(console)
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new StepCountColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(progress =>
            {
                var tasks = new Dictionary<PipelineStage, ProgressTask>();
                var warnings = new List<string>();
                var result = work(new PipelineCallbacks
                {
                    Progress = p =>
                    {
                        if (!tasks.TryGetValue(p.Stage, out var task))
                            tasks[p.Stage] = task = progress.AddTask(Describe(p.Stage), maxValue: p.Total);
                        task.MaxValue = p.Total;
                        task.Value = p.Step;
                    },
                    // Printing inside a live display would tear it; collect and print afterwards.
                    Warning = warnings.Add,
                });
                foreach (var w in warnings) console.MarkupLineInterpolated($"[yellow]warning:[/] {w}");
                return result;
            });
    }

    /// <summary>"12/60": steps rather than a percentage, since a step is the unit users reason about.</summary>
    private sealed class StepCountColumn : ProgressColumn
    {
        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Spectre.Console.Text($"{task.Value:0}/{task.MaxValue:0}");
    }

    private PipelineCallbacks PlainLines()
    {
        var clock = Stopwatch.StartNew();
        var error = _context.Error;
        return new PipelineCallbacks
        {
            Progress = p =>
            {
                if (p.Step == 0) clock.Restart();
                if (p.Step == 0 && p.Total > 1) error.WriteLine($"{Describe(p.Stage)}: {p.Total} steps");
                else if (p.Step > 0) error.WriteLine($"{Describe(p.Stage)}: {p.Step}/{p.Total} ({clock.Elapsed.TotalSeconds:F1} s)");
            },
            Warning = w => error.WriteLine($"warning: {w}"),
        };
    }
}
