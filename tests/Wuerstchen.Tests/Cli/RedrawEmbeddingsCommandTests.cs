using Wuerstchen.Cli;
using Wuerstchen.Data;
using Wuerstchen.Tests.Pipelines.ImageEncoding;
using static Wuerstchen.Tests.Cli.TrainCommandTests;
using static Wuerstchen.Tests.Training.Trainers.TrainerFixtures;

namespace Wuerstchen.Tests.Cli;

public class RedrawEmbeddingsCommandTests
{
    [Fact]
    public void TheBankItWritesTrainsStageBAndARerunKeepsIt()
    {
        using var temp = Shapes(3, size: 64);
        var data = Path.Combine(temp.Path, "data");
        var effnet = ImageEncodingFixtures.WriteEffnet(temp.Path);          // 8 channels: the tiny prior's c_in and the tiny decoder's effnet_embd
        var bank = Path.Combine(temp.Path, "bank");
        string[] args = ["redraw-embeddings", "--prior", PriorFolder, "--effnet", effnet, "--data", data, "--output", bank,
            "--resolution", "64", "--count", "2", "--steps", "6", "--batch", "2", "--seed", "3"];
        var result = CliRunner.Run(args);
        Assert.True(result.ExitCode == CliApp.ExitSuccess, result.Error);
        Assert.Contains("2 re-drawn embeddings", result.Output);
        Assert.Contains("2/2 re-drawn", result.Error);
        var written = File.GetLastWriteTimeUtc(Path.Combine(bank, EmbeddingBank.ShardFileName(0)));
        Thread.Sleep(20);
        Assert.Equal(CliApp.ExitSuccess, CliRunner.Run(args).ExitCode);
        Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(bank, EmbeddingBank.ShardFileName(0))));

        var output = Path.Combine(temp.Path, "b");
        result = Train("stage-b", data, output, "--resolution", "64", "--init", DecoderFolder, "--effnet", effnet, "--freeze-effnet",
            "--redrawn-embeddings", bank, "--redrawn", "1", "--batch", "1");
        Assert.True(result.ExitCode == CliApp.ExitSuccess, result.Error);
        Assert.Contains("\"effnet_redrawn\":1", File.ReadAllText(Path.Combine(output, "train_log.jsonl")));

        result = Train("stage-b", data, Path.Combine(temp.Path, "joint"), "--resolution", "64", "--init", DecoderFolder, "--effnet", effnet,
            "--redrawn-embeddings", bank);
        Assert.NotEqual(CliApp.ExitSuccess, result.ExitCode);
        Assert.Contains("--freeze-effnet", result.Error);
        result = Train("stage-b", data, Path.Combine(temp.Path, "nobank"), "--resolution", "64", "--init", DecoderFolder, "--effnet", effnet,
            "--freeze-effnet", "--redrawn-embeddings", Path.Combine(temp.Path, "missing"));
        Assert.NotEqual(CliApp.ExitSuccess, result.ExitCode);
        Assert.Contains("--redrawn-embeddings", result.Error);
    }

    [Theory]
    [InlineData("--min-strength", "0")]
    [InlineData("--max-strength", "1.5")]
    [InlineData("--steps", "0")]
    [InlineData("--count", "0")]
    public void BadOptionsAreNamed(string option, string value)
    {
        using var temp = new Wuerstchen.Tests.IO.TempFolder();
        var result = CliRunner.Run("redraw-embeddings", "--prior", PriorFolder, "--effnet", temp.Path, "--data", temp.Path,
            "--output", Path.Combine(temp.Path, "o"), option, value);
        Assert.NotEqual(CliApp.ExitSuccess, result.ExitCode);
        Assert.Contains(option == "--max-strength" ? "--min-strength/--max-strength" : option, result.Error);
    }
}
