using System.Text.Json;
using Wuerstchen.Tests.Cli;

namespace Wuerstchen.Tests.Kernels.Bf16;

/// <summary><c>--weights bf16 --compute reduced</c> on <c>bench</c> and <c>generate</c>, with the tiny models.</summary>
public sealed class ReducedCliTests : IDisposable
{
    private static readonly string Prior = Reference.Path_("tiny-wuerstchen-prior");
    private static readonly string Decoder = Reference.Path_("tiny-wuerstchen");
    private readonly string _dir = Directory.CreateTempSubdirectory("wuerstchen-reduced-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void BenchReportsTheReducedPrecisionItRan()
    {
        var r = CliRunner.Run("bench", "--stage", "prior", "--random-weights", "--prior", Prior, "--width", "256", "--height", "256",
            "--threads", "2", "--reps", "1", "--warmup", "0", "--weights", "bf16", "--compute", "reduced", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        var json = JsonDocument.Parse(r.Output.Trim()).RootElement;
        Assert.Equal("bf16", json.GetProperty("weights").GetString());
        Assert.Equal("reduced", json.GetProperty("compute").GetString());
        Assert.Contains("weights bf16, compute reduced", r.Error);
    }

    [Fact]
    public void GenerateRunsWithReducedComputeAndBf16Weights()
    {
        string output = Path.Combine(_dir, "out.png");
        var r = CliRunner.Run("generate", "--prior", Prior, "--decoder", Decoder, "--prompt", "a red circle",
            "--width", "256", "--height", "256", "--prior-steps", "3", "--decoder-steps", "2", "--seed", "7",
            "--compute", "reduced", "--weights", "bf16", "--threads", "2", "--output", output);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("compute reduced", r.Error);
        Assert.True(File.Exists(output));
    }
}
