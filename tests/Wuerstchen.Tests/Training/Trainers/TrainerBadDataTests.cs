using Wuerstchen.Data;
using Wuerstchen.Models;
using Wuerstchen.Models.Init;
using Wuerstchen.Training.Checkpoints;
using Wuerstchen.Training.Trainers;
using static Wuerstchen.Tests.Training.Trainers.TrainerFixtures;

namespace Wuerstchen.Tests.Training.Trainers;

public class TrainerBadDataTests
{
    private static string WithBrokenImage(Wuerstchen.Tests.IO.TempFolder temp)
    {
        var data = Path.Combine(temp.Path, "data");
        File.WriteAllBytes(Path.Combine(data, "broken.png"), [0x89, 0x50, 0x4E, 0x47, 9, 9]);
        File.WriteAllText(Path.Combine(data, "broken.txt"), "not an image");
        return data;
    }

    private static StageAObjective Objective() => new(VqGanInit.Create(StageATrainerTests.TinyConfig, seed: 2));

    private static TrainerOptions Options(string output, bool resume = false) =>
        StageATrainerTests.Options(output, 7) with { BatchSize = 1, CheckpointEvery = 1, KeepCheckpoints = 0, Resume = resume };

    [Fact]
    public void SkippedSamplesAreRememberedAcrossAResume()
    {
        using var temp = Shapes(4);
        var data = WithBrokenImage(temp);

        var straight = Path.Combine(temp.Path, "straight");
        var log = new List<string>();
        using (var objective = Objective())
        {
            var summary = new Trainer(objective, Open(data, log: log), Options(straight)).Run();
            Assert.Single(summary.Skipped, s => s.FilePath.EndsWith("broken.png", StringComparison.Ordinal));
        }
        Assert.Contains(log, l => l.Contains("broken.png"));

        // Stopped after 3 updates, once the broken image has been met (in this seed's order), then resumed.
        var split = Path.Combine(temp.Path, "split");
        using (var cts = new CancellationTokenSource())
        using (var objective = Objective())
        {
            var summary = new Trainer(objective, Open(data), Options(split)) { OnProgress = p => { if (p.Step == 3) cts.Cancel(); } }.Run(cts.Token);
            Assert.NotEmpty(summary.Skipped);
        }
        using (var objective = Objective())
            new Trainer(objective, Open(data), Options(split, resume: true)).Run();

        using var a = PaellaVQModel.FromPretrained(Path.Combine(straight, "vqgan"));
        using var b = PaellaVQModel.FromPretrained(Path.Combine(split, "vqgan"));
        AssertBitIdentical(Weights(a), Weights(b));
    }

    [Fact]
    public void UnderStopABrokenImageEndsTheRunNamingItAndLeavesWholeCheckpoints()
    {
        using var temp = Shapes(4);
        var data = WithBrokenImage(temp);
        var output = Path.Combine(temp.Path, "out");
        using var objective = Objective();
        var error = Assert.Throws<DatasetSampleException>(() => new Trainer(objective, Open(data, policy: SampleErrorPolicy.Stop), Options(output)).Run());
        Assert.EndsWith("broken.png", error.FilePath);
        foreach (var (_, path) in CheckpointFolder.List(output))
            using (PaellaVQModel.FromPretrained(Path.Combine(path, "vqgan"))) { }
        Assert.DoesNotContain(Directory.EnumerateDirectories(output), d => Path.GetFileName(d).StartsWith(".tmp", StringComparison.Ordinal));
    }
}
