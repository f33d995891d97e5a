namespace Wuerstchen.Tests.Cli;

/// <summary>Bad <c>bench</c> arguments end with exit code 2 and a message naming the option, before any model is built.</summary>
public class BenchArgumentTests
{
    private static readonly string Prior = Reference.Path_("tiny-wuerstchen-prior");
    private static readonly string Decoder = Reference.Path_("tiny-wuerstchen");

    private static void UsageError(CliRunner.Result r, string option, string? text = null)
    {
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(option, r.Error);
        if (text != null) Assert.Contains(text, r.Error);
        Assert.DoesNotContain("   at ", r.Error);
        Assert.Equal("", r.Output);
    }

    [Theory]
    [InlineData("--weights", "f16")]
    [InlineData("--compute", "int8")]
    public void Unknown_precisions_are_refused(string option, string value) =>
        UsageError(CliRunner.Run("bench", "--stage", "prior", "--random-weights", option, value), option);

    [Fact]
    public void Unknown_stage_is_a_usage_error() =>
        UsageError(CliRunner.Run("bench", "--stage", "stage-d", "--random-weights"), "--stage");

    [Theory]
    [InlineData("prior", "--prior")]
    [InlineData("clip-bigg", "--prior")]
    [InlineData("decoder", "--decoder")]
    [InlineData("vq-encode", "--decoder")]
    [InlineData("pipeline", "--prior")]
    public void Without_random_weights_the_weight_folder_is_required(string stage, string option) =>
        UsageError(CliRunner.Run("bench", "--stage", stage), option, "--random-weights");

    [Theory]
    [InlineData("--reps", "0")]
    [InlineData("--batch", "0")]
    [InlineData("--threads", "0")]
    [InlineData("--width", "-8")]
    [InlineData("--warmup", "-1")]
    public void Counts_must_be_in_range(string option, string value) =>
        UsageError(CliRunner.Run("bench", "--stage", "clip-h", "--random-weights", "--decoder", Decoder, option, value), option);

    [Fact]
    public void Decoder_side_stages_need_a_decodable_size()
    {
        // 1100 px → Stage C latent 26 → Stage B latent 277, not a multiple of 16: refused before building anything.
        var r = CliRunner.Run("bench", "--stage", "decoder", "--random-weights", "--prior", Prior, "--decoder", Decoder, "--width", "1100");
        UsageError(r, "--width", "not supported");
    }

    [Fact]
    public void A_folder_of_the_wrong_pipeline_is_named() =>
        UsageError(CliRunner.Run("bench", "--stage", "prior", "--random-weights", "--prior", Decoder), "--prior", "WuerstchenDecoderPipeline");
}
