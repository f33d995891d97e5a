using System.Globalization;
using System.Text.Json;
using Wuerstchen.IO.Png;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tests.Pipelines;

namespace Wuerstchen.Tests.Cli;

/// <summary>
/// <c>wuerstchen generate</c> with the arguments of the recorded combined runs reproduces their images and image
/// embeddings (read back through <c>--save-tensors</c>) at the end-to-end tolerances, and writes one PNG per image
/// carrying the parameters.
/// </summary>
public sealed class GenerateCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wuerstchen-generate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Invariant(float v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The command line for a recorded combined run (prior latents, if given, through a temp file).</summary>
    private string[] ArgumentsFor(PipelineRun run)
    {
        var args = new List<string>
        {
            "generate",
            "--prior", Reference.Path_("tiny-wuerstchen-prior"),
            "--decoder", Reference.Path_("tiny-wuerstchen"),
            "--prompt", run.Strings("prompt")![0],
            "--width", run.Int("width", 0).ToString(CultureInfo.InvariantCulture),
            "--height", run.Int("height", 0).ToString(CultureInfo.InvariantCulture),
            "--prior-guidance", Invariant(run.Float("prior_guidance_scale", 4f)),
            "--decoder-steps", run.Int("num_inference_steps", 12).ToString(CultureInfo.InvariantCulture),
            "--decoder-guidance", Invariant(run.Float("decoder_guidance_scale", 0f)),
            "--num-images", run.Int("num_images_per_prompt", 1).ToString(CultureInfo.InvariantCulture),
            "--seed", run.Seed.ToString(CultureInfo.InvariantCulture),
            "--output", Path.Combine(_dir, "out.png"),
            "--save-tensors", Path.Combine(_dir, "out.safetensors"),
        };
        if (run.Strings("negative_prompt") is [var negative]) args.AddRange(["--negative-prompt", negative]);
        if (run.Floats("prior_timesteps") is { } timesteps)
            args.AddRange(["--prior-timesteps", string.Join(',', timesteps.Select(Invariant))]);
        else
            args.AddRange(["--prior-steps", run.Int("prior_num_inference_steps", 60).ToString(CultureInfo.InvariantCulture)]);
        if (run.Input("latents") is { } latents)
        {
            using (latents)
            {
                string path = Path.Combine(_dir, "latents.safetensors");
                new SafeTensorsWriter().Add("latents", latents).Save(path);
                args.AddRange(["--prior-latents", path]);
            }
        }
        return [.. args];
    }

    [Theory]
    [InlineData("combined_a")]
    [InlineData("combined_b")]
    public void Generate_reproduces_the_recorded_combined_run(string name)
    {
        using var run = PipelineRun.Open(name);

        var r = CliRunner.Run(ArgumentsFor(run));

        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains($"seed {run.Seed}", r.Error);
        using var saved = SafeTensorsFile.Open(Path.Combine(_dir, "out.safetensors"));
        using var embeddings = saved.ReadTensor("image_embeddings");
        using var expectedEmbeddings = run.Read("prior.image_embeddings");
        TensorAssert.Close(expectedEmbeddings, embeddings, 0.05, 2e-3, $"{name}: image_embeddings");
        using var images = saved.ReadTensor("images");
        using var expectedImages = run.Read("output");
        TensorAssert.Close(expectedImages, images, 1e-2, 0, $"{name}: images");

        int count = expectedImages.Size(0);
        for (int b = 0; b < count; b++)
        {
            string png = Path.Combine(_dir, count == 1 ? "out.png" : $"out-{b}.png");
            Assert.Contains(png, r.Output);
            var decoded = PngFile.Read(png);
            Assert.Equal((expectedImages.Size(3), expectedImages.Size(2), 3), (decoded.Image.Width, decoded.Image.Height, decoded.Image.Channels));
            using var parameters = JsonDocument.Parse(decoded.GetText("parameters")!);
            Assert.Equal(run.Strings("prompt")![0], parameters.RootElement.GetProperty("prompt").GetString());
            Assert.Equal(run.Seed, parameters.RootElement.GetProperty("seed").GetUInt64());
            Assert.Equal(b, parameters.RootElement.GetProperty("image_index").GetInt32());
            // 8-bit pixels are round(x·255) of the images tensor.
            Assert.Equal((ushort)Math.Round(images[b, 0, 5, 7] * 255), decoded.Image[7, 5, 0]);
        }
    }
}
