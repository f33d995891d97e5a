using System.Globalization;
using System.Text;
using System.Text.Json;
using Wuerstchen.Data.Shapes;
using Wuerstchen.IO;

namespace Wuerstchen.Evaluation;

/// <summary>The analyser's verdict on one prompt's picture (and, with a probe, what the prior's latent carried).</summary>
public sealed record PromptResult(AdherencePrompt Prompt, ImageAnalysis Analysis, string? ImagePath = null, ProbeReading? Probe = null)
{
    /// <summary>Whether <see cref="EmbeddingShapeProbe"/> read the prompt's shape in the prior's latent (null: no probe).</summary>
    public bool? ProbeShapeCorrect => Probe is null ? null : Probe.Shape == Prompt.Shape;

    public bool ColorCorrect => Analysis.Object?.ColorName == Prompt.Color;
    public bool ShapeCorrect => Analysis.Object?.Shape == Prompt.Shape;
    public bool BothCorrect => ColorCorrect && ShapeCorrect;

    /// <summary>Reported, not part of the goal: whether the background colour was recovered too.</summary>
    public bool BackgroundCorrect => Analysis.BackgroundName == Prompt.Background;
}

/// <summary>
/// Per-prompt correctness and the overall percentages of an adherence evaluation. The goal is that at least
/// <see cref="Goal"/> of the prompts get both the colour and the shape right.
/// </summary>
public sealed class AdherenceReport
{
    public const double Goal = 0.8;

    public IReadOnlyList<PromptResult> Results { get; }

    public AdherenceReport(IReadOnlyList<PromptResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (results.Count == 0) throw new ArgumentException("An adherence report needs at least one result.", nameof(results));
        Results = results;
    }

    public int Count => Results.Count;
    public double ColorAccuracy => Fraction(r => r.ColorCorrect);
    public double ShapeAccuracy => Fraction(r => r.ShapeCorrect);
    public double BothAccuracy => Fraction(r => r.BothCorrect);
    public double BackgroundAccuracy => Fraction(r => r.BackgroundCorrect);
    public bool MeetsGoal => BothAccuracy >= Goal;

    private double Fraction(Func<PromptResult, bool> correct) => Results.Count(correct) / (double)Results.Count;

    /// <summary>With probe readings on every prompt: the fraction whose prior latent carries the prompt's shape; else null.</summary>
    public double? ProbeShapeAccuracy => Results.All(r => r.Probe is not null) ? Fraction(r => r.ProbeShapeCorrect == true) : null;

    /// <summary>"probe: the prior's latents carry the prompt's shape for 85.4% (41/48)", or null without probes.</summary>
    public string? ProbeSummary => ProbeShapeAccuracy is { } a
        ? string.Create(CultureInfo.InvariantCulture, $"probe: the prior's latents carry the prompt's shape for {Percent(a)} ({Results.Count(r => r.ProbeShapeCorrect == true)}/{Count})")
        : null;

    /// <summary>One line: "colour 95.8%, shape 89.6%, both 87.5% (42/48), background 100.0% — goal ≥ 80% met".</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"colour {Percent(ColorAccuracy)}, shape {Percent(ShapeAccuracy)}, both {Percent(BothAccuracy)} ({Results.Count(r => r.BothCorrect)}/{Count}), background {Percent(BackgroundAccuracy)} — goal ≥ {Goal * 100:F0}% {(MeetsGoal ? "met" : "not met")}");

    /// <summary>Per expected shape, in <see cref="ShapeNames.All"/> order: how many prompts asked for it, got the shape right, got both right.</summary>
    public IReadOnlyList<(ShapeKind Shape, int Count, int ShapeCorrect, int BothCorrect)> ByShape =>
        [.. ShapeNames.All
            .Select(shape => Results.Where(r => r.Prompt.Shape == shape).ToArray())
            .Where(group => group.Length > 0)
            .Select(group => (group[0].Prompt.Shape, group.Length, group.Count(r => r.ShapeCorrect), group.Count(r => r.BothCorrect)))];

    /// <summary>"shape right, by shape: circle 17/24, square 17/24, …": where the shape score is lost.</summary>
    public string ShapeSummary => "shape right, by shape: " + string.Join(", ",
        ByShape.Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Shape.ToString().ToLowerInvariant()} {g.ShapeCorrect}/{g.Count}")));

    private static string Percent(double fraction) => string.Create(CultureInfo.InvariantCulture, $"{fraction * 100:F1}%");

    /// <summary>A Markdown table with one row per prompt and the summary.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Prompt adherence").AppendLine().AppendLine(Summary).AppendLine().AppendLine(ShapeSummary).AppendLine();
        bool probed = ProbeSummary is not null;
        if (probed) sb.AppendLine(ProbeSummary).AppendLine();
        sb.AppendLine("| # | prompt | colour | shape | both | detected | background |" + (probed ? " probe |" : ""));
        sb.AppendLine("|---|---|---|---|---|---|---|" + (probed ? "---|" : ""));
        foreach (var r in Results)
        {
            var o = r.Analysis.Object;
            string detected = o is null ? "nothing" : $"{o.ColorName} {o.Shape.ToString().ToLowerInvariant()}";
            string probe = !probed ? "" : $" {ProbeName(r.Probe!)}{(r.ProbeShapeCorrect == true ? "" : " ✗")} |";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Prompt.Index} | {r.Prompt.Text} | {Mark(r.ColorCorrect)} | {Mark(r.ShapeCorrect)} | {Mark(r.BothCorrect)} | {detected} | {r.Analysis.BackgroundName}{(r.BackgroundCorrect ? "" : " ✗")} |{probe}");
        }
        return sb.ToString();
    }

    /// <summary>The report as JSON: summary figures and, per prompt, the expectation, the detection and its measures.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("count", Count);
            w.WriteNumber("color_accuracy", ColorAccuracy);
            w.WriteNumber("shape_accuracy", ShapeAccuracy);
            w.WriteNumber("both_accuracy", BothAccuracy);
            w.WriteNumber("background_accuracy", BackgroundAccuracy);
            w.WriteNumber("goal", Goal);
            w.WriteBoolean("meets_goal", MeetsGoal);
            if (ProbeShapeAccuracy is { } probeAccuracy) w.WriteNumber("probe_shape_accuracy", probeAccuracy);
            w.WriteStartObject("by_shape");
            foreach (var g in ByShape)
            {
                w.WriteStartObject(g.Shape.ToString().ToLowerInvariant());
                w.WriteNumber("count", g.Count);
                w.WriteNumber("shape_correct", g.ShapeCorrect);
                w.WriteNumber("both_correct", g.BothCorrect);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteStartArray("prompts");
            foreach (var r in Results)
            {
                var o = r.Analysis.Object;
                w.WriteStartObject();
                w.WriteNumber("index", r.Prompt.Index);
                w.WriteString("prompt", r.Prompt.Text);
                w.WriteNumber("seed", r.Prompt.Seed);
                if (r.ImagePath is not null) w.WriteString("image", r.ImagePath);
                w.WriteString("expected_color", r.Prompt.Color.Name);
                w.WriteString("expected_shape", r.Prompt.Shape.ToString().ToLowerInvariant());
                w.WriteString("expected_background", r.Prompt.Background.Name);
                w.WriteBoolean("color_correct", r.ColorCorrect);
                w.WriteBoolean("shape_correct", r.ShapeCorrect);
                w.WriteBoolean("background_correct", r.BackgroundCorrect);
                w.WriteString("detected_background", r.Analysis.BackgroundName.Name);
                if (r.Probe is { } reading)
                {
                    w.WriteStartObject("probe");
                    w.WriteString("shape", ProbeName(reading));
                    w.WriteNumber("object_cells", reading.ObjectCells);
                    w.WriteEndObject();
                }
                if (o is null)
                {
                    w.WriteNull("detected");
                }
                else
                {
                    w.WriteStartObject("detected");
                    w.WriteString("color", o.ColorName.Name);
                    w.WriteNumber("color_delta_e", Math.Round(o.ColorDeltaE, 2));
                    w.WriteStartArray("rgb");
                    w.WriteNumberValue(Math.Round(o.Color.R * 255, 1));
                    w.WriteNumberValue(Math.Round(o.Color.G * 255, 1));
                    w.WriteNumberValue(Math.Round(o.Color.B * 255, 1));
                    w.WriteEndArray();
                    w.WriteString("shape", o.Shape.ToString().ToLowerInvariant());
                    w.WriteStartObject("shape_distances");
                    foreach (var s in o.Ranking) w.WriteNumber(s.Shape.ToString().ToLowerInvariant(), Math.Round(s.Distance, 3));
                    w.WriteEndObject();
                    var f = o.Features;
                    w.WriteStartObject("features");
                    w.WriteNumber("area_px", Math.Round(f.Area, 1));
                    w.WriteNumber("fill", Math.Round(f.Fill, 4));
                    w.WriteNumber("solidity", Math.Round(f.Solidity, 4));
                    w.WriteNumber("circularity", Math.Round(f.Circularity, 4));
                    w.WriteNumber("aspect", Math.Round(f.Aspect, 4));
                    w.WriteNumber("centroid_height", Math.Round(f.CentroidHeight, 4));
                    w.WriteNumber("flip_symmetry", Math.Round(f.FlipSymmetry, 4));
                    w.WriteNumber("corners", f.Corners);
                    w.WriteEndObject();
                    w.WriteNumber("area_fraction", Math.Round(o.AreaFraction, 5));
                    w.WriteNumber("object_count", o.ObjectCount);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Writes <c>adherence.json</c> and <c>adherence.md</c> into <paramref name="folder"/> (atomically); returns their paths.</summary>
    public (string Json, string Markdown) Save(string folder)
    {
        Directory.CreateDirectory(folder);
        var json = Path.Combine(folder, "adherence.json");
        var markdown = Path.Combine(folder, "adherence.md");
        AtomicFile.WriteAllBytes(json, Encoding.UTF8.GetBytes(ToJson()));
        AtomicFile.WriteAllBytes(markdown, Encoding.UTF8.GetBytes(ToMarkdown()));
        return (json, markdown);
    }

    private static string Mark(bool ok) => ok ? "✓" : "✗";

    private static string ProbeName(ProbeReading reading) => reading.Shape?.ToString().ToLowerInvariant() ?? "nothing";
}
