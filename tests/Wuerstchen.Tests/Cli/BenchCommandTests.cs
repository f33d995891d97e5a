using System.Text.Json;
using Wuerstchen.Cli.Commands;
using Wuerstchen.Models.Configs;

namespace Wuerstchen.Tests.Cli;

/// <summary>
/// <c>wuerstchen bench</c> end to end on the tiny reference configs (random weights): one JSON object per line with
/// the documented fields, consistent timings, the analytic FLOP count, and the text report.
/// </summary>
public class BenchCommandTests
{
    private static readonly string Prior = Reference.Path_("tiny-wuerstchen-prior");
    private static readonly string Decoder = Reference.Path_("tiny-wuerstchen");

    private static CliRunner.Result Bench(params string[] extra) =>
        CliRunner.Run(["bench", "--random-weights", "--prior", Prior, "--decoder", Decoder, "--width", "256", "--height", "256", "--threads", "2", .. extra]);

    private static JsonElement SingleJsonLine(CliRunner.Result r)
    {
        Assert.True(r.ExitCode == 0, r.Error);
        var lines = r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        return JsonDocument.Parse(lines[0]).RootElement;
    }

    [Fact]
    public void Json_line_has_the_documented_fields_and_consistent_values()
    {
        var json = SingleJsonLine(Bench("--stage", "decoder", "--reps", "3", "--json"));
        Assert.Equal("decoder", json.GetProperty("stage").GetString());
        double median = json.GetProperty("median_s").GetDouble(), min = json.GetProperty("min_s").GetDouble();
        Assert.InRange(min, 1e-6, median);
        var times = json.GetProperty("times_s").EnumerateArray().Select(t => t.GetDouble()).ToArray();
        Assert.Equal(3, times.Length);
        Assert.Equal(min, times.Min(), 4);

        // 256 px → Stage C latent 6 → Stage B latent 64; the tiny decoder at batch 1.
        var config = WuerstchenDiffNeXtConfig.Load(Path.Combine(Decoder, "decoder"));
        long flops = BenchFlops.Decoder(config, 1, 64, 64, foldedEffnet: true);   // the bench runs the inference form
        Assert.Equal(Math.Round(flops / 1e9, 3), json.GetProperty("gflop").GetDouble());
        Assert.Equal(flops / median / 1e9, json.GetProperty("gflops").GetDouble(), 0.01 * flops / median / 1e9 + 0.01);
        if (OperatingSystem.IsLinux()) Assert.True(json.GetProperty("peak_rss_mb").GetDouble() > 10);
        Assert.Equal(1, json.GetProperty("batch").GetInt32());
        Assert.Equal(2, json.GetProperty("threads").GetInt32());
        Assert.True(json.GetProperty("random_weights").GetBoolean());
    }

    [Theory]
    [InlineData("prior", 2)]
    [InlineData("prior-step", 2)]
    [InlineData("clip-bigg", 2)]
    [InlineData("clip-h", 1)]
    [InlineData("vq-decode", 1)]
    [InlineData("vq-encode", 1)]
    public void Every_stage_runs_at_its_default_batch(string stage, int batch)
    {
        var json = SingleJsonLine(Bench("--stage", stage, "--reps", "1", "--warmup", "0", "--json"));
        Assert.Equal(stage, json.GetProperty("stage").GetString());
        Assert.Equal(batch, json.GetProperty("batch").GetInt32());
        Assert.True(json.GetProperty("gflop").GetDouble() > 0);
    }

    [Fact]
    public void Pipeline_reports_its_parts()
    {
        var json = SingleJsonLine(Bench("--stage", "pipeline", "--json"));
        var parts = json.GetProperty("parts_s").EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "clip-bigg", "prior", "clip-h", "decoder", "vq-decode" }, parts);
        // 29 Stage C steps at batch 2 dominate the tiny decoder's 12 steps in FLOPs only if counted: both are in the total.
        var prior = WuerstchenPriorConfig.Load(Path.Combine(Prior, "prior"));
        Assert.True(json.GetProperty("gflop").GetDouble() * 1e9 > 29 * BenchFlops.Prior(prior, 2, 6, 6));
    }

    [Fact]
    public void Text_report_names_the_stage_and_rate()
    {
        var r = Bench("--stage", "clip-h", "--reps", "2");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("clip-h: median ", r.Output);
        Assert.Contains("GFLOP/s", r.Output);
        Assert.Contains("input_ids [1, 77]", r.Error);
    }
}
