using Wuerstchen.Evaluation;
using Wuerstchen.Tests.IO;
using Wuerstchen.Tests.Pipelines;

namespace Wuerstchen.Tests.Cli;

/// <summary><c>evaluate-adherence --model DIR</c> generates the fixed prompt set with a model and scores the pictures.</summary>
public sealed class EvaluateAdherenceModelTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Model_mode_generates_every_prompt_with_its_seed_and_scores_the_saved_pictures()
    {
        string model = _temp.File("model");
        StandInDefaultModel.Write(model);
        string output = _temp.File("report");
        var r = CliRunner.Run("evaluate-adherence", "--model", model, "--output", output);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.True(File.Exists(Path.Combine(output, "adherence.json")));
        foreach (var prompt in AdherencePromptSet.Default)
            Assert.True(File.Exists(Path.Combine(output, "images", prompt.ImageFileName)), prompt.ImageFileName);

        // Re-scoring the saved pictures gives the same summary: the images on disk are the ones scored.
        var rescored = CliRunner.Run("evaluate-adherence", "--images", Path.Combine(output, "images"));
        Assert.True(rescored.ExitCode == 0, rescored.Error);
        Assert.Equal(r.Output, rescored.Output);
    }

    [Fact]
    public void Model_mode_rejects_a_second_source_and_a_missing_folder()
    {
        var both = CliRunner.Run("evaluate-adherence", "--model", _temp.File("m"), "--images", _temp.File("i"));
        Assert.NotEqual(0, both.ExitCode);
        Assert.Contains("--model", both.Error);
        var missing = CliRunner.Run("evaluate-adherence", "--model", _temp.File("nothing"));
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("--model", missing.Error);
    }
}
