using System.Text.Json;
using Wuerstchen.IO.Png;

namespace Wuerstchen.Tests.Cli;

/// <summary>
/// <c>generate --random-weights</c>, the smoke-test path that <c>bench --stage pipeline</c> shares: with the tiny
/// folders it builds their architectures with random weights and writes an image; without folders it insists on a
/// tokenizer before building the real-scale models.
/// </summary>
public sealed class BenchGenerateRandomWeightsTests : IDisposable
{
    private static readonly string Prior = Reference.Path_("tiny-wuerstchen-prior");
    private static readonly string Decoder = Reference.Path_("tiny-wuerstchen");
    private readonly string _dir = Directory.CreateTempSubdirectory("wuerstchen-random-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private CliRunner.Result Generate(string output, params string[] extra) =>
        CliRunner.Run(["generate", "--prompt", "a red fox", "--width", "256", "--height", "256", "--prior-steps", "2",
            "--decoder-steps", "2", "--seed", "3", "--output", output, .. extra]);

    [Fact]
    public void Random_weights_with_tiny_configs_write_an_image_unlike_the_trained_one()
    {
        string random = Path.Combine(_dir, "random.png"), trained = Path.Combine(_dir, "trained.png");
        var r = Generate(random, "--random-weights", "--prior", Prior, "--decoder", Decoder);
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("random weights", r.Error);
        Assert.Equal(random, r.Output.Trim());
        Assert.Equal(0, Generate(trained, "--prior", Prior, "--decoder", Decoder).ExitCode);

        var png = PngFile.Read(random);
        Assert.Equal((256, 256), (png.Image.Width, png.Image.Height));
        Assert.NotEqual(PngFile.Read(trained).Image.Samples, png.Image.Samples);
        using var parameters = JsonDocument.Parse(png.GetText("parameters")!);
        Assert.True(parameters.RootElement.GetProperty("random_weights").GetBoolean());
    }

    [Fact]
    public void An_explicit_tokenizer_folder_is_accepted() =>
        Assert.Equal(0, Generate(Path.Combine(_dir, "t.png"), "--random-weights", "--prior", Prior, "--decoder", Decoder,
            "--tokenizer", Reference.Path_("tokenizer")).ExitCode);

    [Fact]
    public void Without_folders_a_tokenizer_is_required()
    {
        var r = Generate(Path.Combine(_dir, "x.png"), "--random-weights");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--tokenizer", r.Error);
    }

    [Fact]
    public void Without_random_weights_both_folders_are_required()
    {
        var r = Generate(Path.Combine(_dir, "x.png"), "--prior", Prior);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--decoder", r.Error);
        Assert.Contains("--random-weights", r.Error);
    }
}
