using System.Text.Json;
using Wuerstchen.Data.Shapes;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Models;
using Wuerstchen.Models.Configs;
using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Pipelines;
using Wuerstchen.Text;

namespace Wuerstchen.Tests.Pipelines;

/// <summary>
/// Writes a default-model folder as the shipped one is laid out — <c>prior/</c> and <c>decoder/</c> diffusers pipeline
/// folders and <c>defaults.json</c> — from tiny configs with random weights and a tokenizer trained by
/// <see cref="BpeVocabularyBuilder"/> on shapes captions: everything the real one has except training.
/// </summary>
internal static class StandInDefaultModel
{
    /// <summary>Small enough for a test: 128 × 128 images (6 → 3 prior latents, 32 × 32 decoder latents), two steps a stage.</summary>
    public static DefaultModelSettings Settings { get; } = new()
    {
        Width = 128, Height = 128, PriorNumInferenceSteps = 2, PriorGuidanceScale = 3f, DecoderNumInferenceSteps = 2, DecoderGuidanceScale = 0f,
    };

    public static void Write(string root, DefaultModelSettings? settings = null)
    {
        string prior = Path.Combine(root, DefaultModel.PriorFolderName), decoder = Path.Combine(root, DefaultModel.DecoderFolderName);
        var sampler = new ShapeSceneSampler();
        var tokenizer = BpeVocabularyBuilder.Train(Enumerable.Range(0, 300).Select(i => ShapesSample.Generate(0, i, sampler).Caption), 600);
        var text = new Dictionary<string, object>
        {
            ["architectures"] = new[] { "CLIPTextModel" }, ["model_type"] = "clip_text_model", ["hidden_act"] = "gelu",
            ["hidden_size"] = 16, ["intermediate_size"] = 32, ["num_attention_heads"] = 2, ["num_hidden_layers"] = 1,
            ["max_position_embeddings"] = 77, ["layer_norm_eps"] = 1e-5, ["vocab_size"] = 640,
        };
        var scheduler = new Dictionary<string, object> { ["_class_name"] = "DDPMWuerstchenScheduler", ["s"] = 0.008, ["scaler"] = 1.0 };

        WriteIndex(prior, new()
        {
            ["_class_name"] = WuerstchenPriorPipeline.PipelineClassName, ["latent_mean"] = 42.0, ["latent_std"] = 1.0, ["resolution_multiple"] = 42.67,
            ["prior"] = new[] { "wuerstchen", "WuerstchenPrior" }, ["scheduler"] = new[] { "diffusers", "DDPMWuerstchenScheduler" },
            ["text_encoder"] = new[] { "transformers", "CLIPTextModel" }, ["tokenizer"] = new[] { "transformers", "CLIPTokenizerFast" },
        });
        tokenizer.Save(Path.Combine(prior, "tokenizer"));
        WriteJson(Path.Combine(prior, "scheduler", "scheduler_config.json"), scheduler);
        WriteComponent(Path.Combine(prior, "text_encoder"), text, "model", ws => new ClipTextModel(ClipTextConfig.Load(Path.Combine(prior, "text_encoder")), ws));
        WriteComponent(Path.Combine(prior, "prior"), new()
        {
            ["_class_name"] = WuerstchenPriorConfig.ClassName, ["c_in"] = 16, ["c"] = 16, ["c_cond"] = 16, ["c_r"] = 8, ["depth"] = 1, ["nhead"] = 2, ["dropout"] = 0.0,
        }, DiffusersWeightFiles.DiffusersModel, ws => new WuerstchenPrior(WuerstchenPriorConfig.Load(Path.Combine(prior, "prior")), ws));

        WriteIndex(decoder, new()
        {
            ["_class_name"] = WuerstchenDecoderPipeline.PipelineClassName, ["latent_dim_scale"] = 10.67,
            ["decoder"] = new[] { "wuerstchen", "WuerstchenDiffNeXt" }, ["scheduler"] = new[] { "diffusers", "DDPMWuerstchenScheduler" },
            ["text_encoder"] = new[] { "transformers", "CLIPTextModel" }, ["tokenizer"] = new[] { "transformers", "CLIPTokenizerFast" },
            ["vqgan"] = new[] { "wuerstchen", "PaellaVQModel" },
        });
        tokenizer.Save(Path.Combine(decoder, "tokenizer"));
        WriteJson(Path.Combine(decoder, "scheduler", "scheduler_config.json"), scheduler);
        WriteComponent(Path.Combine(decoder, "text_encoder"), text, "model", ws => new ClipTextModel(ClipTextConfig.Load(Path.Combine(decoder, "text_encoder")), ws));
        WriteComponent(Path.Combine(decoder, "decoder"), new()
        {
            ["_class_name"] = WuerstchenDiffNeXtConfig.ClassName, ["c_in"] = 4, ["c_out"] = 4, ["c_r"] = 8, ["patch_size"] = 2, ["c_cond"] = 16,
            ["c_hidden"] = new[] { 8, 8, 16, 16 }, ["nhead"] = new[] { -1, 2, 2, 2 }, ["blocks"] = new[] { 1, 1, 1, 1 },
            ["level_config"] = new[] { "CT", "CTA", "CTA", "CTA" }, ["inject_effnet"] = new[] { false, true, true, true },
            ["effnet_embd"] = 16, ["clip_embd"] = 16, ["kernel_size"] = 3, ["dropout"] = 0.0,
        }, DiffusersWeightFiles.DiffusersModel, ws => new WuerstchenDiffNeXt(WuerstchenDiffNeXtConfig.Load(Path.Combine(decoder, "decoder")), ws));
        WriteComponent(Path.Combine(decoder, "vqgan"), new()
        {
            ["_class_name"] = PaellaVQConfig.ClassName, ["in_channels"] = 3, ["out_channels"] = 3, ["up_down_scale_factor"] = 2, ["levels"] = 2,
            ["bottleneck_blocks"] = 1, ["embed_dim"] = 8, ["latent_channels"] = 4, ["num_vq_embeddings"] = 16, ["scale_factor"] = 0.3764,
        }, DiffusersWeightFiles.DiffusersModel, ws => new PaellaVQModel(PaellaVQConfig.Load(Path.Combine(decoder, "vqgan")), ws));

        (settings ?? Settings).Save(Path.Combine(root, DefaultModelSettings.FileName));
    }

    private static void WriteIndex(string folder, Dictionary<string, object> index) => WriteJson(Path.Combine(folder, ModelFolder.IndexFileName), index);

    /// <summary><c>config.json</c> and the random weights of the model it describes, under the name the loaders look for.</summary>
    private static void WriteComponent(string folder, Dictionary<string, object> config, string weightsName, Func<WeightSource, Module> build)
    {
        WriteJson(Path.Combine(folder, "config.json"), config);
        using var ws = WeightSource.Random((ulong)folder.Length);
        using var model = build(ws);
        var writer = new SafeTensorsWriter();
        foreach (var (key, tensor) in model.StateDict()) writer.Add(key, tensor);
        writer.Save(Path.Combine(folder, weightsName + ".safetensors"));
    }

    private static void WriteJson(string path, Dictionary<string, object> value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true }));
    }
}
