using Wuerstchen.Tests.IO;
using Wuerstchen.Training.Progress;

namespace Wuerstchen.Tests.Training.Progress;

public class TrainLogTests
{
    private static TrainingProgress At(long step, double loss) =>
        new(step, 10, 0, loss, loss, 1e-4, 0.5, 2.0, TimeSpan.FromSeconds(step), TimeSpan.FromSeconds(10 - step), new Dictionary<string, double> { ["loss_recon"] = loss / 2 });

    [Fact]
    public void ReopeningForAResumeDropsTheLinesAfterTheCheckpoint()
    {
        using var temp = new TempFolder();
        using (var log = TrainLog.Open(temp.Path, 0))
            for (int s = 1; s <= 5; s++) log.Write(At(s, s));
        File.AppendAllText(Path.Combine(temp.Path, TrainLog.FileName), "{\"step\": 6, \"lo"); // cut short by a kill
        using (var log = TrainLog.Open(temp.Path, keepThroughStep: 3))
            log.Write(At(4, 40));
        var lines = File.ReadAllLines(Path.Combine(temp.Path, TrainLog.FileName));
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("{\"step\":4,\"epoch\":0,\"loss\":40,", lines[3]);
        Assert.Contains("\"loss_recon\":20", lines[3]);
    }

    [Fact]
    public void NonFiniteLossesAreWrittenAsNullAndTheSmootherIsBiasCorrected()
    {
        using var temp = new TempFolder();
        using (var log = TrainLog.Open(temp.Path, 0)) log.Write(At(1, double.NaN));
        Assert.Contains("\"loss\":null", File.ReadAllText(Path.Combine(temp.Path, TrainLog.FileName)));

        var smoother = new LossSmoother(0.9);
        Assert.Equal(2.0, smoother.Add(2.0), 12);                                // corrected: not 0.2
        Assert.Equal((0.9 * 0.1 * 2 + 0.1 * 4) / (1 - 0.81), smoother.Add(4.0), 12);
        Assert.Contains("step 3/10", At(3, 0.25).Describe());
    }
}
