using System.Text;
using System.Text.Json;

namespace Wuerstchen.Training.Progress;

/// <summary>
/// <c>train_log.jsonl</c> in the output folder: one JSON object per logged update (step, epoch, loss, smoothed loss,
/// lr, gradient norm, loss terms, it/s, elapsed seconds). Lines are appended and flushed as they are written, so the
/// log survives a kill; a resumed run first drops the lines after its checkpoint's step, so the file reads as one run.
/// </summary>
public sealed class TrainLog : IDisposable
{
    public const string FileName = "train_log.jsonl";

    private readonly StreamWriter _writer;

    public string Path { get; }

    private TrainLog(string path, StreamWriter writer)
    {
        Path = path;
        _writer = writer;
    }

    /// <summary>Opens the log of <paramref name="outputFolder"/>, keeping only the lines with step ≤ <paramref name="keepThroughStep"/>.</summary>
    public static TrainLog Open(string outputFolder, long keepThroughStep)
    {
        Directory.CreateDirectory(outputFolder);
        var path = System.IO.Path.Combine(outputFolder, FileName);
        if (File.Exists(path))
        {
            var kept = File.ReadAllLines(path).Where(line => StepOf(line) is long s && s <= keepThroughStep).ToArray();
            IO.AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(kept.Length == 0 ? "" : string.Join("\n", kept) + "\n"));
        }
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        return new TrainLog(path, new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true });
    }

    public void Write(TrainingProgress p)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("step", p.Step);
            w.WriteNumber("epoch", p.Epoch);
            Number(w, "loss", p.Loss);
            Number(w, "loss_avg", p.SmoothedLoss);
            Number(w, "lr", p.LearningRate);
            Number(w, "grad_norm", p.GradNorm);
            foreach (var (name, value) in p.Terms) Number(w, name, value);
            Number(w, "it_per_s", Math.Round(p.StepsPerSecond, 4));
            Number(w, "elapsed_s", Math.Round(p.Elapsed.TotalSeconds, 3));
            w.WriteEndObject();
        }
        _writer.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    // JSON has no NaN or infinity; a diverged loss is logged as null rather than breaking the file.
    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteNull(name);
    }

    private static long? StepOf(string line)
    {
        if (string.IsNullOrWhiteSpace(line)) return null;
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.TryGetProperty("step", out var s) && s.TryGetInt64(out long v) ? v : null;
        }
        catch (JsonException)
        {
            return null; // a line cut short by a kill
        }
    }

    public void Dispose() => _writer.Dispose();

}
