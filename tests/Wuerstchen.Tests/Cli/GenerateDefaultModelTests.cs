using System.CommandLine;
using System.Text.Json;
using Wuerstchen.Cli.Commands;
using Wuerstchen.IO.Png;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Pipelines;
using Wuerstchen.Tests.IO;
using Wuerstchen.Tests.Pipelines;

namespace Wuerstchen.Tests.Cli;

/// <summary>
/// <c>wuerstchen generate "prompt"</c> without model folders runs the default model (here a stand-in with random
/// weights found through <c>$WUERSTCHEN_MODEL</c>) with its <c>defaults.json</c> settings, which explicit options
/// override. The tests of this class set the process-wide variable, so they run one after another and restore it.
/// </summary>
public sealed class GenerateDefaultModelTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string? _saved = Environment.GetEnvironmentVariable(DefaultModel.EnvironmentVariable);

    public GenerateDefaultModelTests()
    {
        StandInDefaultModel.Write(_temp.File("model"));
        Environment.SetEnvironmentVariable(DefaultModel.EnvironmentVariable, _temp.File("model"));
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(DefaultModel.EnvironmentVariable, _saved);
        _temp.Dispose();
    }

    private static JsonElement Parameters(string png)
    {
        using var doc = JsonDocument.Parse(PngFile.Read(png).GetText(GeneratedFiles.ParametersKey)!);
        return doc.RootElement.Clone();
    }

    /// <summary>The repository's models/default (the shipped weights), found beside Wuerstchen.sln.</summary>
    private static string ShippedModel()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Wuerstchen.sln")))
                return Path.Combine(dir.FullName, DefaultModel.ModelsFolderName, DefaultModel.DefaultFolderName);
        throw new DirectoryNotFoundException("Repo root (Wuerstchen.sln) not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void The_shipped_default_model_generates_at_its_settings()
    {
        // The README's first command, on the committed weights: 256² at defaults.json's settings, an image, not a flat field.
        Environment.SetEnvironmentVariable(DefaultModel.EnvironmentVariable, ShippedModel());
        string png = _temp.File("shipped.png");
        var r = CliRunner.Run("generate", "a red circle on a blue background", "--seed", "42", "-o", png);

        Assert.True(r.ExitCode == 0, r.Error);
        var image = PngFile.Read(png).Image;
        Assert.Equal((256, 256), (image.Width, image.Height));
        var p = Parameters(png);
        var settings = DefaultModelSettings.Load(Path.Combine(ShippedModel(), "defaults.json"));
        Assert.Equal(settings.PriorNumInferenceSteps, p.GetProperty("prior_num_inference_steps").GetInt32());
        var pixels = image.Samples;
        Assert.True(pixels.Max() - pixels.Min() > 32, "the shipped model drew a flat image");
    }

    [Fact]
    public void A_positional_prompt_runs_the_default_model_at_its_recommended_settings()
    {
        string png = _temp.File("default.png");
        var r = CliRunner.Run("generate", "a red circle on a blue background", "--seed", "7", "-o", png, "--save-tensors", _temp.File("default.safetensors"));

        Assert.True(r.ExitCode == 0, r.Error);
        var image = PngFile.Read(png).Image;
        Assert.Equal((128, 128), (image.Width, image.Height));
        var p = Parameters(png);
        Assert.Equal("a red circle on a blue background", p.GetProperty("prompt").GetString());
        Assert.Equal(2, p.GetProperty("prior_num_inference_steps").GetInt32());
        Assert.Equal(3f, p.GetProperty("prior_guidance_scale").GetSingle());
        Assert.Equal(2, p.GetProperty("num_inference_steps").GetInt32());

        // The same as naming the folders and settings explicitly.
        string model = _temp.File("model");
        string explicitPng = _temp.File("explicit.png");
        var e = CliRunner.Run("generate", "--prompt", "a red circle on a blue background", "--seed", "7", "-o", explicitPng,
            "--prior", Path.Combine(model, "prior"), "--decoder", Path.Combine(model, "decoder"), "--width", "128", "--height", "128",
            "--prior-steps", "2", "--prior-guidance", "3", "--decoder-steps", "2", "--save-tensors", _temp.File("explicit.safetensors"));
        Assert.True(e.ExitCode == 0, e.Error);
        using var a = SafeTensorsFile.Open(_temp.File("default.safetensors"));
        using var b = SafeTensorsFile.Open(_temp.File("explicit.safetensors"));
        using var imagesA = a.ReadTensor("images");
        using var imagesB = b.ReadTensor("images");
        Assert.Equal(imagesB.ToArray(), imagesA.ToArray());
    }

    [Fact]
    public void Options_given_override_the_recommended_settings()
    {
        string png = _temp.File("override.png");
        var r = CliRunner.Run("generate", "two green stars", "--prior-steps", "1", "--decoder-guidance", "2", "-o", png);
        Assert.True(r.ExitCode == 0, r.Error);
        var p = Parameters(png);
        Assert.Equal(1, p.GetProperty("prior_num_inference_steps").GetInt32());
        Assert.Equal(2f, p.GetProperty("decoder_guidance_scale").GetSingle());
        Assert.Equal(3f, p.GetProperty("prior_guidance_scale").GetSingle());
        Assert.Equal(128, p.GetProperty("width").GetInt32());
    }

    [Fact]
    public void Without_output_the_png_is_named_after_the_seed()
    {
        var o = new GenerateOptions();
        var command = new Command("generate") { o.PromptArgument };
        foreach (var option in o.All) command.Add(option);

        var settings = GenerateSettings.From(command.Parse(["a red circle", "--seed", "11"]), o);

        Assert.Equal("wuerstchen-11.png", settings.Output);
        Assert.Equal(Path.Combine(_temp.File("model"), "prior"), settings.PriorFolder);
        Assert.Equal(StandInDefaultModel.Settings.Width, settings.Width);
    }

    [Fact]
    public void Prompt_and_folder_mistakes_are_usage_errors()
    {
        var both = CliRunner.Run("generate", "a red circle", "--prompt", "a blue square", "-o", _temp.File("x.png"));
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("--prompt", both.Error);

        var neither = CliRunner.Run("generate", "-o", _temp.File("x.png"));
        Assert.Equal(2, neither.ExitCode);
        Assert.Contains("--prompt", neither.Error);

        var onlyPrior = CliRunner.Run("generate", "a red circle", "--prior", Path.Combine(_temp.File("model"), "prior"), "-o", _temp.File("x.png"));
        Assert.Equal(2, onlyPrior.ExitCode);
        Assert.Contains("--decoder", onlyPrior.Error);
    }

    [Fact]
    public void A_wrong_WUERSTCHEN_MODEL_is_reported()
    {
        Environment.SetEnvironmentVariable(DefaultModel.EnvironmentVariable, _temp.File("nowhere"));
        var r = CliRunner.Run("generate", "a red circle", "-o", _temp.File("x.png"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("$WUERSTCHEN_MODEL", r.Error);
        Assert.False(File.Exists(_temp.File("x.png")));
    }
}
