namespace Wuerstchen.Tests.Cli;

public class DatasetCommandsTests
{
    [Fact]
    public void Make_dataset_writes_pairs_that_the_adherence_analyser_scores_correctly()
    {
        string folder = Path.Combine(Path.GetTempPath(), "wuerstchen-ds-" + Guid.NewGuid().ToString("N"));
        try
        {
            var made = CliRunner.Run("make-dataset", "shapes", "--count", "24", "--size", "64", "--seed", "3", "--output", folder);
            Assert.True(made.ExitCode == 0, made.Error);
            Assert.Equal(24, Directory.GetFiles(folder, "*.png").Length);
            Assert.Equal(24, Directory.GetFiles(folder, "*.txt").Length);
            Assert.Equal(24, File.ReadAllLines(Path.Combine(folder, "metadata.jsonl")).Length);

            string report = Path.Combine(folder, "report");
            var scored = CliRunner.Run("evaluate-adherence", "--shapes-dataset", folder, "--output", report);
            Assert.True(scored.ExitCode == 0, scored.Error);
            Assert.Contains("both 100.0% (24/24)", scored.Output);
            Assert.NotEmpty(Directory.GetFiles(report));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Bad_arguments_are_usage_errors_naming_the_option()
    {
        var count = CliRunner.Run("make-dataset", "shapes", "--count", "0", "--output", Path.GetTempPath());
        Assert.Equal(2, count.ExitCode);
        Assert.Contains("--count", count.Error);

        var both = CliRunner.Run("evaluate-adherence");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("--images", both.Error);

        var missing = CliRunner.Run("evaluate-adherence", "--images", "/nonexistent/folder");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("does not exist", missing.Error);
    }
}
