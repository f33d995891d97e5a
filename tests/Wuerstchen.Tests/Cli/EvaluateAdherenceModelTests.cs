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
    public void Probe_reads_every_prompts_prior_latent_into_the_report()
    {
        string model = _temp.File("model");
        StandInDefaultModel.Write(model);                                   // its prior makes 16-channel latents
        Evaluation.EmbeddingShapeProbeTests.WriteIdentityProbe(_temp.File("compressor"), inChannels: 16);
        string output = _temp.File("report");
        var r = CliRunner.Run("evaluate-adherence", "--model", model, "--probe", _temp.File("compressor"), "--output", output);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Matches(@"probe: the prior's latents carry the prompt's shape for \d+\.\d% \(\d+/48\)", r.Output);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "adherence.json")));
        double accuracy = json.RootElement.GetProperty("probe_shape_accuracy").GetDouble();
        var prompts = json.RootElement.GetProperty("prompts").EnumerateArray().ToList();
        Assert.Equal(48, prompts.Count);
        int correct = prompts.Count(p => p.GetProperty("probe").GetProperty("shape").GetString() == p.GetProperty("expected_shape").GetString());
        Assert.Equal(correct / 48.0, accuracy, 1e-12);
        Assert.Contains("| probe |", File.ReadAllText(Path.Combine(output, "adherence.md")));

        var without = CliRunner.Run("evaluate-adherence", "--images", Path.Combine(output, "images"), "--probe", _temp.File("compressor"));
        Assert.Equal(2, without.ExitCode);
        Assert.Contains("--probe", without.Error);
        var missing = CliRunner.Run("evaluate-adherence", "--model", model, "--probe", _temp.File("no-probe"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--probe", missing.Error);
    }

    /// <summary>A shapes dataset with one plain, large, single-object picture per prompt of the set (all the same image).</summary>
    private string WriteStandInDataset(string name, int side)
    {
        string folder = _temp.File(name);
        Directory.CreateDirectory(folder);
        using var picture = Pipelines.ImageEncoding.ImageEncodingFixtures.Picture(side, side);
        Wuerstchen.Pipelines.ImageEncoding.ImageFiles.WritePngs(picture, [Path.Combine(folder, "000000.png")]);
        var lines = AdherencePromptSet.Default.Select(p =>
            $"{{\"file_name\": \"000000.png\", \"text\": \"{p.Text}\", \"index\": {p.Index}, \"shape\": \"{p.Shape.ToString().ToLowerInvariant()}\", " +
            $"\"color\": \"{p.Color.Name}\", \"count\": 1, \"size\": \"large\", \"position\": \"center\", \"background\": \"{p.Background.Name}\", " +
            "\"background_fill\": \"plain\", \"template\": 0}");
        File.WriteAllLines(Path.Combine(folder, "metadata.jsonl"), lines);
        return folder;
    }

    [Fact]
    public void True_embeddings_decode_every_prompt_from_a_dataset_picture_with_the_models_decoder()
    {
        string model = _temp.File("model");
        StandInDefaultModel.Write(model);                                   // 128², a decoder taking 16-channel embeddings
        string effnet = Pipelines.ImageEncoding.ImageEncodingFixtures.WriteEffnet(_temp.File("compressor"),
            Pipelines.ImageEncoding.ImageEncodingFixtures.TinyEffnet with { CLatent = 16 });
        string dataset = WriteStandInDataset("dataset", 128);
        string output = _temp.File("report");
        var r = CliRunner.Run("evaluate-adherence", "--model", model, "--true-embeddings", dataset, "--effnet", effnet, "--output", output);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.StartsWith("Stage B from true embeddings (large objects first): colour ", r.Output);
        foreach (var prompt in AdherencePromptSet.Default)
            Assert.True(File.Exists(Path.Combine(output, "images", prompt.ImageFileName)), prompt.ImageFileName);
        var rescored = CliRunner.Run("evaluate-adherence", "--images", Path.Combine(output, "images"));
        Assert.True(rescored.ExitCode == 0, rescored.Error);
        Assert.EndsWith(rescored.Output.Trim(), r.Output.Trim());

        void Usage(string argument, string fragment, params string[] args)
        {
            var u = CliRunner.Run(["evaluate-adherence", .. args]);
            Assert.True(u.ExitCode == 2, $"{string.Join(' ', args)}: exit {u.ExitCode}, {u.Error}");
            Assert.Contains(argument, u.Error);
            Assert.Contains(fragment, u.Error);
        }
        Usage("--true-embeddings", "needs --model", "--true-embeddings", dataset, "--effnet", effnet);
        Usage("--effnet", "compressor", "--model", model, "--true-embeddings", dataset);
        Usage("--effnet", "--true-embeddings", "--model", model, "--effnet", effnet);
        Usage("--probe", "does not run the prior", "--model", model, "--true-embeddings", dataset, "--effnet", effnet, "--probe", effnet);
        Usage("--object-size", "'large' or 'small'", "--model", model, "--true-embeddings", dataset, "--effnet", effnet, "--object-size", "huge");
        Usage("--true-embeddings", "does not exist", "--model", model, "--true-embeddings", _temp.File("none"), "--effnet", effnet);
        Usage("--true-embeddings", "256×256 pixels, but the model draws 128×128", "--model", model,
            "--true-embeddings", WriteStandInDataset("large-pictures", 256), "--effnet", effnet);
    }

    [Fact]
    public void Rounds_score_the_set_again_with_further_seeds()
    {
        string model = _temp.File("model");
        StandInDefaultModel.Write(model);
        string output = _temp.File("report");
        var r = CliRunner.Run("evaluate-adherence", "--model", model, "--rounds", "2", "--output", output);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("/96)", r.Output);
        var twice = AdherencePromptSet.Rounds(2);
        Assert.Equal(twice.Select(p => p.ImageFileName).Order(), Directory.GetFiles(Path.Combine(output, "images")).Select(Path.GetFileName).Order());

        var rescored = CliRunner.Run("evaluate-adherence", "--images", Path.Combine(output, "images"), "--rounds", "2");
        Assert.Equal(r.Output, rescored.Output);
        var first = CliRunner.Run("evaluate-adherence", "--images", Path.Combine(output, "images"));
        Assert.Contains("/48)", first.Output);

        var zero = CliRunner.Run("evaluate-adherence", "--model", model, "--rounds", "0");
        Assert.Equal(2, zero.ExitCode);
        Assert.Contains("--rounds", zero.Error);
        var dataset = CliRunner.Run("evaluate-adherence", "--shapes-dataset", output, "--rounds", "2");
        Assert.Equal(2, dataset.ExitCode);
        Assert.Contains("--rounds", dataset.Error);
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
