using System.Diagnostics;
using Wuerstchen.Models;
using Wuerstchen.Models.Configs;
using Wuerstchen.Models.Weights;
using Wuerstchen.Pipelines;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.IO;
using Wuerstchen.Tests.Tensors;
using Xunit.Abstractions;

namespace Wuerstchen.Tests.Pipelines;

/// <summary>
/// The configs of the shipped default model (<c>models/default-configs</c>) load with the diffusers loaders, fit
/// together (each stage's output is the next one's input at 256 × 256), and every component builds from random
/// weights and runs a forward pass at the intended sizes. Parameter counts and times are printed.
/// </summary>
public sealed class DefaultModelConfigsTests(ITestOutputHelper output)
{
    private const int Batch = 2;
    private const int ImageSide = 256;
    private const int PriorSide = 12;   // Stage C latent: 16 × 12 × 12
    private const int DecoderSide = 32; // Stage B latent: 4 × 32 × 32

    /// <summary>A path under the repo's <c>models/</c> folder.</summary>
    internal static string ModelsPath(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Wuerstchen.sln")))
                return Path.Combine([dir.FullName, "models", .. parts]);
        throw new DirectoryNotFoundException("Repo root (Wuerstchen.sln) not found above " + AppContext.BaseDirectory);
    }

    internal static string ConfigPath(string name) => ModelsPath("default-configs", name);

    private static ClipTextConfig TextConfig => ClipTextConfig.Load(ConfigPath("text_encoder.json"));
    private static WuerstchenPriorConfig PriorConfig => WuerstchenPriorConfig.Load(ConfigPath("prior.json"));
    private static WuerstchenDiffNeXtConfig DecoderConfig => WuerstchenDiffNeXtConfig.Load(ConfigPath("decoder.json"));
    private static PaellaVQConfig VqConfig => PaellaVQConfig.Load(ConfigPath("vqgan.json"));

    private void Report(string name, Wuerstchen.Models.Nn.Module model, Stopwatch clock, int batch = Batch) =>
        output.WriteLine($"{name}: {model.ParameterCount():N0} parameters, forward at batch {batch} in {clock.Elapsed.TotalMilliseconds:F0} ms");

    /// <summary>Lays the config files out as the documented prior/ and decoder/ pipeline folders (no weights).</summary>
    private static void AssemblePipelineFolders(TempFolder temp)
    {
        void Copy(string config, params string[] to)
        {
            string path = Path.Combine([temp.Path, .. to]);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Copy(ConfigPath(config), path);
        }
        Copy("prior_model_index.json", "prior", "model_index.json");
        Copy("prior.json", "prior", "prior", "config.json");
        Copy("decoder_model_index.json", "decoder", "model_index.json");
        Copy("decoder.json", "decoder", "decoder", "config.json");
        Copy("vqgan.json", "decoder", "vqgan", "config.json");
        foreach (string pipeline in new[] { "prior", "decoder" })
        {
            Copy("text_encoder.json", pipeline, "text_encoder", "config.json");
            Copy("scheduler.json", pipeline, "scheduler", "scheduler_config.json");
        }
    }

    /// <summary>The size rules of the assembled pipelines (their model_index.json constants and the decoder's shape).</summary>
    private static ImageSizeRules SizeRules()
    {
        using var temp = new TempFolder();
        AssemblePipelineFolders(temp);
        var prior = PriorPipelineConfig.FromFolder(Path.Combine(temp.Path, "prior"));
        var decoder = DecoderPipelineConfig.FromFolder(Path.Combine(temp.Path, "decoder"));
        return new ImageSizeRules(prior.Constants.ResolutionMultiple, decoder.LatentDimScale,
            DecoderConfig.PatchSize << (DecoderConfig.Levels - 1), VqConfig.UpDownScaleFactor << (VqConfig.Levels - 1));
    }

    [Fact]
    public void The_stages_fit_together_at_256_pixels()
    {
        var effnet = Wuerstchen.Models.EfficientNet.EfficientNetConfig.Load(ConfigPath("effnet-stride16.json"));
        var rules = SizeRules();
        int priorSide = rules.PriorLatentSide(ImageSide);
        Assert.Equal(PriorSide, priorSide);                         // ceil(256 / 21.34)
        Assert.Equal(ImageSide * 3 / 4 / effnet.Stride, priorSide); // the compressor's output on the 3/4-downscaled image
        Assert.Equal(Wuerstchen.Training.Checkpoints.PipelineIndex.ResolutionMultiple(effnet.Stride), rules.ResolutionMultiple);
        Assert.Equal(DecoderSide, rules.DecoderLatentSide(priorSide)); // int(12 · 2.67)
        Assert.Equal(ImageSide, rules.OutputSideForImage(ImageSide));
        Assert.True(rules.IsDecodableLatentSide(priorSide));
        Assert.Equal(0, DecoderSide % (DecoderConfig.PatchSize << (DecoderConfig.Levels - 1)));
        Assert.Equal(TextConfig.HiddenSize, PriorConfig.CCond);
        Assert.Equal(TextConfig.HiddenSize, DecoderConfig.ClipEmbd);
        Assert.Equal(effnet.CLatent, PriorConfig.CIn);
        Assert.Equal(PriorConfig.CIn, DecoderConfig.EffnetEmbd);
        Assert.Equal(VqConfig.LatentChannels, DecoderConfig.CIn);
        Assert.Equal(VqConfig.LatentChannels, DecoderConfig.COut);
        Assert.Equal(0f, PriorConfig.Dropout);
        Assert.All(DecoderConfig.Dropout, d => Assert.Equal(0f, d));
        Assert.Equal(77, TextConfig.MaxPositionEmbeddings);
    }

    [Fact]
    public void The_4x_stage_A_that_trains_the_compressor_encodes_256_pixels_to_64_by_64()
    {
        var teacher = PaellaVQConfig.Load(ConfigPath("vqgan-f4.json"));
        Assert.Equal(64, ImageSide / (teacher.UpDownScaleFactor << (teacher.Levels - 1)));
        Assert.Equal(VqConfig.LatentChannels, teacher.LatentChannels);
    }

    [Fact]
    public void The_config_files_assemble_into_the_documented_pipeline_folders()
    {
        using var temp = new TempFolder();
        AssemblePipelineFolders(temp);
        File.Copy(ModelsPath("default", DefaultModelSettings.FileName), temp.File(DefaultModelSettings.FileName));

        var model = DefaultModel.Open(temp.Path);
        var prior = PriorPipelineConfig.FromFolder(model.PriorFolder);
        var decoder = DecoderPipelineConfig.FromFolder(model.DecoderFolder);
        Assert.Equal(PriorConfig, prior.Prior);
        Assert.Equal(TextConfig, prior.TextEncoder);
        Assert.Equal(DecoderConfig, decoder.Decoder);
        Assert.Equal(VqConfig, decoder.VqGan);
        Assert.Equal(21.34, prior.Constants.ResolutionMultiple);
        Assert.Equal((256, 256), (model.Settings.Width, model.Settings.Height));
    }

    [Fact]
    public void Text_encoder_builds_and_encodes_77_tokens()
    {
        var config = TextConfig;
        using var ws = WeightSource.Random(1);
        using var model = new ClipTextModel(config, ws);
        var ids = Enumerable.Range(0, Batch * 77).Select(i => i * 7 % config.VocabSize).ToArray();
        var mask = Enumerable.Repeat(1, ids.Length).ToArray();
        var clock = Stopwatch.StartNew();
        using var hidden = model.Forward(ids, mask, Batch);
        Report("text encoder", model, clock);
        Assert.Equal([Batch, 77, 64], hidden.Shape.ToArray());
        Assert.All(hidden.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Prior_builds_and_predicts_noise_for_a_16x12x12_latent()
    {
        using var ws = WeightSource.Random(2);
        using var model = new WuerstchenPrior(PriorConfig, ws);
        using var x = TestTensors.Random(1, [Batch, 16, PriorSide, PriorSide]);
        using var r = Tensor.FromArray([0.3f, 0.9f], Batch);
        using var c = TestTensors.Random(2, [Batch, 77, 64]);
        var clock = Stopwatch.StartNew();
        using var eps = model.Forward(x, r, c);
        Report("prior", model, clock);
        Assert.Equal([Batch, 16, PriorSide, PriorSide], eps.Shape.ToArray());
        Assert.All(eps.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Decoder_builds_and_predicts_noise_for_a_4x32x32_latent()
    {
        using var ws = WeightSource.Random(3);
        using var model = new WuerstchenDiffNeXt(DecoderConfig, ws);
        using var x = TestTensors.Random(1, [Batch, 4, DecoderSide, DecoderSide]);
        using var r = Tensor.FromArray([0.3f, 0.9f], Batch);
        using var effnet = TestTensors.Random(2, [Batch, 16, PriorSide, PriorSide]);
        using var clip = TestTensors.Random(3, [Batch, 77, 64]);
        var clock = Stopwatch.StartNew();
        using var eps = model.Forward(x, r, effnet, clip);
        Report("decoder", model, clock);
        Assert.Equal([Batch, 4, DecoderSide, DecoderSide], eps.Shape.ToArray());
        Assert.All(eps.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Vqgan_encodes_256_pixels_to_4x32x32_and_decodes_back()
    {
        using var ws = WeightSource.Random(4);
        using var model = new PaellaVQModel(VqConfig, ws);
        // One image: full-resolution convolutions make Stage A the slowest component here.
        using var image = TestTensors.Random(1, [1, 3, ImageSide, ImageSide], 0f, 1f);
        var clock = Stopwatch.StartNew();
        using var latents = model.Encode(image);
        using var decoded = model.Decode(latents);
        Report("vqgan (encode + decode)", model, clock, batch: 1);
        Assert.Equal([1, 4, DecoderSide, DecoderSide], latents.Shape.ToArray());
        Assert.Equal([1, 3, ImageSide, ImageSide], decoded.Shape.ToArray());
        Assert.All(decoded.ToArray(), v => Assert.True(float.IsFinite(v)));
    }
}
