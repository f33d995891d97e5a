using System.Text.Json;
using Wuerstchen.Cli;
using Wuerstchen.Cli.Commands;
using Wuerstchen.IO.Png;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Pipelines;
using Wuerstchen.Rng;

namespace Wuerstchen.Tests.Cli;

/// <summary><c>wuerstchen generate --lora FILE[:SCALE]</c> (repeatable) on the tiny pipelines with the reference prior LoRA.</summary>
public sealed class GenerateLoraTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wuerstchen-generate-lora-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Prompt = "a photo of a red fox in the snow";
    private const ulong Seed = 11;

    private static string LoraFile => Reference.Path_("tiny-wuerstchen-prior-lora", "pytorch_lora_weights.safetensors");

    /// <summary>Runs generate (tiny folders, 128 × 128, 2 + 2 steps) and returns the saved image embeddings and the exit code.</summary>
    private (CliRunner.Result Result, float[] Embeddings) Generate(string name, params string[] extra)
    {
        string tensors = Path.Combine(_dir, name + ".safetensors");
        var r = CliRunner.Run([
            "generate",
            "--prior", Reference.Path_("tiny-wuerstchen-prior"),
            "--decoder", Reference.Path_("tiny-wuerstchen"),
            "--prompt", Prompt,
            "--width", "128", "--height", "128",
            "--prior-steps", "2", "--decoder-steps", "2",
            "--seed", Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--output", Path.Combine(_dir, name + ".png"),
            "--save-tensors", tensors,
            .. extra]);
        if (r.ExitCode != 0) return (r, []);
        using var file = SafeTensorsFile.Open(tensors);
        using var embeddings = file.ReadTensor("image_embeddings");
        return (r, embeddings.ToArray());
    }

    /// <summary>
    /// Two half-strength <c>--lora</c> give the prior pipeline's image embeddings with the LoRA at full strength (same seed,
    /// same arguments), which differ from the run without; the PNG records the LoRAs.
    /// </summary>
    [Fact]
    public void RepeatedLorasReachThePriorAndAddUp()
    {
        var (plainRun, plain) = Generate("plain");
        Assert.True(plainRun.ExitCode == 0, plainRun.Error);
        var (halvesRun, halves) = Generate("halves", "--lora", LoraFile + ":0.5", "--lora", LoraFile + ":0.5");
        Assert.True(halvesRun.ExitCode == 0, halvesRun.Error);

        using var prior = WuerstchenPriorPipeline.FromPretrained(Reference.Path_("tiny-wuerstchen-prior"));
        using var expected = prior.Run(new PriorRequest
        {
            Prompts = [Prompt], Height = 128, Width = 128, NumInferenceSteps = 2, GuidanceScale = 4f, Loras = [new LoraFile(LoraFile)],
        }, new TorchGenerator(Seed));
        var full = expected.ImageEmbeddings.ToArray();
        TensorAssert.Close(full, halves, 1e-4 * full.Max(Math.Abs), 1e-4, "two half-strength LoRAs vs the pipeline with one at full strength");
        Assert.True(full.Zip(plain, (a, b) => Math.Abs(a - b)).Max() > 1e-2, "the LoRA should change the image embeddings");

        using var parameters = JsonDocument.Parse(PngFile.Read(Path.Combine(_dir, "halves.png")).GetText("parameters")!);
        var loras = parameters.RootElement.GetProperty("prior_loras");
        Assert.Equal(2, loras.GetArrayLength());
        Assert.Equal("pytorch_lora_weights.safetensors", loras[0].GetProperty("file").GetString());
        Assert.Equal(0.5, loras[1].GetProperty("scale").GetDouble());
    }

    [Fact]
    public void MissingLoraFileIsAUsageError()
    {
        var (r, _) = Generate("missing", "--lora", Path.Combine(_dir, "none.safetensors:0.5"));
        Assert.Equal(CliApp.ExitUsage, r.ExitCode);
        Assert.Contains("--lora", r.Error);
        Assert.Contains("none.safetensors", r.Error);
    }

    [Fact]
    public void ScaleIsTheNumberAfterTheLastColon()
    {
        string colonPath = Path.Combine(_dir, "style:v2.safetensors");
        File.WriteAllBytes(colonPath, []);
        Assert.Equal(new LoraFile(colonPath, 1f), GenerateSettings.ParseLora(colonPath));
        Assert.Equal(new LoraFile(colonPath, 0.25f), GenerateSettings.ParseLora(colonPath + ":0.25"));
        Assert.Equal(-1.5f, GenerateSettings.ParseLora(colonPath + ":-1.5").Scale);
        Assert.Throws<CliUsageException>(() => GenerateSettings.ParseLora(colonPath + ":x"));
    }
}
