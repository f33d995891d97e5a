using System.Text.Json;
using Wuerstchen.Data.Shapes;
using Wuerstchen.Evaluation;
using Wuerstchen.Tests.IO;

namespace Wuerstchen.Tests.Evaluation;

public class AdherenceEvaluationTests
{
    [Fact]
    public void A_faithful_generator_scores_full_marks_and_the_saved_run_rescores_the_same()
    {
        using var temp = new TempFolder();
        var images = temp.File("images");
        var progress = new List<int>();
        var report = AdherenceEvaluation.Run(AdherencePromptSet.Default, p => Pictures.Render(p, 48), images, new SyncProgress(progress));
        Assert.Equal(1.0, report.BothAccuracy);
        Assert.Equal(1.0, report.BackgroundAccuracy);
        Assert.True(report.MeetsGoal);
        Assert.Equal(48, progress.Count);
        Assert.Contains("both 100.0% (48/48)", report.Summary);

        var rescored = AdherenceEvaluation.ScoreFolder(images);
        Assert.Equal(report.Results.Select(r => r.BothCorrect), rescored.Results.Select(r => r.BothCorrect));
        Assert.Equal(Path.Combine(images, AdherencePromptSet.Default[5].ImageFileName), rescored.Results[5].ImagePath);

        var (json, markdown) = report.Save(temp.Path);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(48, doc.RootElement.GetProperty("count").GetInt32());
        Assert.True(doc.RootElement.GetProperty("meets_goal").GetBoolean());
        var first = doc.RootElement.GetProperty("prompts")[0];
        Assert.Equal("a red circle on a blue background", first.GetProperty("prompt").GetString());
        Assert.Equal("circle", first.GetProperty("detected").GetProperty("shape").GetString());
        Assert.Contains("| 0 | a red circle on a blue background | ✓ | ✓ | ✓ |", File.ReadAllText(markdown));
        Assert.Contains(report.ShapeSummary, File.ReadAllText(markdown));
        Assert.Equal(8, doc.RootElement.GetProperty("by_shape").GetProperty("cross").GetProperty("both_correct").GetInt32());
    }

    [Fact]
    public void A_generator_that_ignores_the_prompt_scores_by_chance()
    {
        // Always a red circle on a blue background: right colour for the 6 red prompts, right shape for the 8 circles.
        var headline = AdherencePromptSet.Default[0];
        var report = AdherenceEvaluation.Run(AdherencePromptSet.Default, _ => Pictures.Render(headline, 48));
        Assert.Equal(6.0 / 48, report.ColorAccuracy, 9);
        Assert.Equal(8.0 / 48, report.ShapeAccuracy, 9);
        Assert.Equal(1.0 / 48, report.BothAccuracy, 9);
        Assert.False(report.MeetsGoal);
        Assert.Contains("goal ≥ 80% not met", report.Summary);
        // Only the circles get their shape, and only the red circle both.
        Assert.Equal("shape right, by shape: circle 8/8, square 0/8, triangle 0/8, diamond 0/8, star 0/8, cross 0/8", report.ShapeSummary);
        Assert.Equal((ShapeKind.Circle, 8, 8, 1), report.ByShape[0]);
    }

    [Fact]
    public void Scoring_a_folder_with_a_missing_picture_names_it()
    {
        using var temp = new TempFolder();
        var prompts = AdherencePromptSet.Default.Take(2).ToArray();
        AdherenceEvaluation.Run(prompts.Take(1).ToArray(), p => Pictures.Render(p, 32), temp.Path);
        var error = Assert.Throws<FileNotFoundException>(() => AdherenceEvaluation.ScoreFolder(temp.Path, prompts));
        Assert.Contains(prompts[1].ImageFileName, error.Message);
    }

    [Fact]
    public void A_picture_without_an_object_counts_as_wrong()
    {
        var prompt = AdherencePromptSet.Default[3];
        var empty = new ImageAnalysis(prompt.Background.Value, prompt.Background, null);
        var result = new PromptResult(prompt, empty);
        Assert.False(result.ColorCorrect || result.ShapeCorrect);
        Assert.True(result.BackgroundCorrect);
        Assert.Contains("nothing", new AdherenceReport([result]).ToMarkdown());
    }

    [Fact]
    public void The_analyser_recovers_a_generated_shapes_dataset()
    {
        // The full training distribution: one to three objects, every position and size, gradients, at 48².
        using var temp = new TempFolder();
        ShapesDatasetWriter.Write(temp.Path, 60, 48, seed: 2024);
        var report = AdherenceEvaluation.ScoreShapesDataset(temp.Path);
        Assert.Equal(60, report.Count);
        Assert.True(report.BothAccuracy >= 0.95, report.Summary);
        Assert.Equal(20, AdherenceEvaluation.ScoreShapesDataset(temp.Path, limit: 20).Count);
    }

    private sealed class SyncProgress(List<int> values) : IProgress<int>
    {
        public void Report(int value) => values.Add(value);
    }
}
