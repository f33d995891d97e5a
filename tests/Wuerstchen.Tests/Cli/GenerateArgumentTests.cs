namespace Wuerstchen.Tests.Cli;

/// <summary>Bad <c>generate</c> arguments end with exit code 2 and a message naming the option, before any model runs.</summary>
public class GenerateArgumentTests
{
    private static readonly string Prior = Reference.Path_("tiny-wuerstchen-prior");
    private static readonly string Decoder = Reference.Path_("tiny-wuerstchen");

    private static CliRunner.Result Generate(params string[] extra) =>
        CliRunner.Run(["generate", "--prior", Prior, "--decoder", Decoder, "--prompt", "a red fox", "--output", Path.Combine(Path.GetTempPath(), "never-written.png"), .. extra]);

    private static void UsageError(CliRunner.Result r, string option, string? text = null)
    {
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(option, r.Error);
        if (text != null) Assert.Contains(text, r.Error);
        Assert.DoesNotContain("   at ", r.Error);
        Assert.Equal("", r.Output);
    }

    [Fact]
    public void Required_options_are_named() =>
        UsageError(CliRunner.Run("generate", "--prior", Prior, "--decoder", Decoder, "--output", "x.png"), "--prompt");

    [Fact]
    public void Steps_and_timesteps_exclude_each_other() =>
        UsageError(Generate("--prior-steps", "3", "--prior-timesteps", "1,0.5,0"), "--prior-timesteps", "not both");

    [Theory]
    [InlineData("1,0.5", "must be 0")]
    [InlineData("0.5,0.7,0", "strictly decrease")]
    [InlineData("1,abc,0", "'abc' is not a number")]
    [InlineData("2,1,0", "ratios in [0, 1]")]
    public void Malformed_timesteps_are_explained(string timesteps, string message) =>
        UsageError(Generate("--decoder-timesteps", timesteps), "--decoder-timesteps", message);

    [Fact]
    public void Undecodable_sizes_are_rejected_with_suggestions() =>
        UsageError(Generate("--width", "200", "--height", "128"), "--width", "128-pixel steps");

    [Fact]
    public void Non_positive_counts_are_rejected()
    {
        UsageError(Generate("--num-images", "0"), "--num-images");
        UsageError(Generate("--prior-steps", "0"), "--prior-steps");
        UsageError(Generate("--width", "-128"), "--width");
    }

    [Fact]
    public void Unknown_variant_is_rejected() => UsageError(Generate("--variant", "fp8"), "--variant");

    [Fact]
    public void Output_must_be_a_png() => UsageError(CliRunner.Run("generate", "--prior", Prior, "--decoder", Decoder, "--prompt", "x", "--output", "out.jpg"), "--output");

    [Fact]
    public void Swapped_model_folders_are_reported_against_the_option() =>
        UsageError(CliRunner.Run("generate", "--prior", Decoder, "--decoder", Prior, "--prompt", "x", "--output", "x.png", "--width", "128", "--height", "128"),
            "--prior", "WuerstchenDecoderPipeline");

    [Fact]
    public void Non_numeric_values_are_rejected() => UsageError(Generate("--seed", "lucky"), "--seed");
}
