using System.Text.Json;
using Wuerstchen.IO;
using Wuerstchen.Models.Configs;

namespace Wuerstchen.Models.EfficientNet;

/// <summary>
/// <c>effnet/config.json</c> of the semantic compressor, diffusers' training-example <c>EfficientNetEncoder(c_latent,
/// c_cond, effnet)</c> (SPEC §2.13), extended so that it can describe smaller backbones as well:
/// <list type="bullet">
/// <item><c>c_latent</c>: channels of the Stage C latent (the mapper's output, 16 released);</item>
/// <item><c>c_cond</c>: channels of the backbone's last 1×1 conv ("head", 1280 for every torchvision V2) that the mapper reads;</item>
/// <item><c>effnet</c>: a torchvision preset (<c>efficientnet_v2_s</c>, <c>_m</c>, <c>_l</c>) or any name for a custom backbone,
/// which then lists its stages in parallel arrays <c>block_types</c> ("FusedMBConv"/"MBConv"), <c>expand_ratios</c>,
/// <c>kernel_sizes</c>, <c>strides</c>, <c>out_channels</c>, <c>num_layers</c>, plus <c>stem_channels</c>
/// (the stride-2 3×3 stem's output, the first stage's input);</item>
/// <item><c>batch_norm_eps</c> (backbone BatchNorms, torchvision V2: 1e-3; the mapper's BatchNorm keeps torch's 1e-5) and
/// <c>stochastic_depth_prob</c> (torchvision: 0.2, the last block's drop rate in training, linearly ramped over the blocks).</item>
/// </list>
/// A preset config is written with the diffusers keys only, so the folder loads in diffusers unchanged.
/// </summary>
public sealed record EfficientNetConfig(
    int CLatent, int CCond, string Effnet, int StemChannels, IReadOnlyList<EfficientNetStage> Stages,
    float BatchNormEps = EfficientNetConfig.TorchvisionV2BatchNormEps,
    float StochasticDepthProb = EfficientNetConfig.TorchvisionStochasticDepthProb)
{
    public const string ClassName = "EfficientNetEncoder";
    public const float TorchvisionV2BatchNormEps = 1e-3f;
    public const float TorchvisionStochasticDepthProb = 0.2f;

    /// <summary>Epsilon of the mapper's <c>nn.BatchNorm2d(c_latent)</c> (torch's default).</summary>
    public const float MapperBatchNormEps = 1e-5f;

    private static EfficientNetStage Fused(int e, int k, int s, int i, int o, int n) => new(EfficientNetBlockType.FusedMBConv, e, k, s, i, o, n);
    private static EfficientNetStage MB(int e, int k, int s, int i, int o, int n) => new(EfficientNetBlockType.MBConv, e, k, s, i, o, n);

    /// <summary>The released semantic compressor: torchvision EfficientNetV2-S <c>features</c> (≈20.2 M parameters) + mapper to 16 channels.</summary>
    public static EfficientNetConfig V2S { get; } = new(16, 1280, "efficientnet_v2_s", 24,
    [
        Fused(1, 3, 1, 24, 24, 2), Fused(4, 3, 2, 24, 48, 4), Fused(4, 3, 2, 48, 64, 4),
        MB(4, 3, 2, 64, 128, 6), MB(6, 3, 1, 128, 160, 9), MB(6, 3, 2, 160, 256, 15),
    ]);

    /// <summary>torchvision EfficientNetV2-M <c>features</c> + mapper.</summary>
    public static EfficientNetConfig V2M { get; } = new(16, 1280, "efficientnet_v2_m", 24,
    [
        Fused(1, 3, 1, 24, 24, 3), Fused(4, 3, 2, 24, 48, 5), Fused(4, 3, 2, 48, 80, 5),
        MB(4, 3, 2, 80, 160, 7), MB(6, 3, 1, 160, 176, 14), MB(6, 3, 2, 176, 304, 18), MB(6, 3, 1, 304, 512, 5),
    ]);

    /// <summary>torchvision EfficientNetV2-L <c>features</c> + mapper (diffusers' other <c>effnet</c> choice).</summary>
    public static EfficientNetConfig V2L { get; } = new(16, 1280, "efficientnet_v2_l", 32,
    [
        Fused(1, 3, 1, 32, 32, 4), Fused(4, 3, 2, 32, 64, 7), Fused(4, 3, 2, 64, 96, 7),
        MB(4, 3, 2, 96, 192, 10), MB(6, 3, 1, 192, 224, 19), MB(6, 3, 2, 224, 384, 25), MB(6, 3, 1, 384, 640, 7),
    ]);

    /// <summary>
    /// A small backbone of the same design and total stride 32 (172,464 parameters with a 256-wide head) for models trained
    /// from scratch on small data, where the 20 M-parameter V2-S would be slow and needlessly large.
    /// </summary>
    public static EfficientNetConfig Tiny { get; } = new(16, 256, "tiny", 16,
    [
        Fused(1, 3, 1, 16, 16, 1), Fused(4, 3, 2, 16, 24, 1), Fused(4, 3, 2, 24, 32, 1),
        MB(4, 3, 2, 32, 48, 2), MB(4, 3, 2, 48, 64, 2),
    ]);

    /// <summary>The torchvision presets by <c>effnet</c> name.</summary>
    public static IReadOnlyDictionary<string, EfficientNetConfig> Presets { get; } = new Dictionary<string, EfficientNetConfig>(StringComparer.Ordinal)
    {
        [V2S.Effnet] = V2S,
        [V2M.Effnet] = V2M,
        [V2L.Effnet] = V2L,
    };

    /// <summary>Total downscale factor: the stem's 2 times every stride-2 stage's (32 for every preset).</summary>
    public int Stride => Stages.Aggregate(2, (s, stage) => s * stage.Stride);

    /// <summary>Channels of the last stage, the head conv's input.</summary>
    public int LastStageChannels => Stages[^1].OutChannels;

    /// <summary>Number of blocks over all stages (torchvision's <c>total_stage_blocks</c>).</summary>
    public int TotalBlocks => Stages.Sum(s => s.Layers);

    /// <summary>True when the stages are exactly those of the preset named <see cref="Effnet"/>.</summary>
    public bool IsPreset => Presets.TryGetValue(Effnet, out var p) && p.StemChannels == StemChannels && p.Stages.SequenceEqual(Stages);

    public static EfficientNetConfig Load(string path) => From(ConfigJson.Load(path));

    public static EfficientNetConfig From(ConfigJson json)
    {
        json.ExpectClass(ClassName);
        int cLatent = json.Int("c_latent", 16), cCond = json.Int("c_cond", 1280);
        string effnet = json.String("effnet", V2S.Effnet);
        float eps = json.Float("batch_norm_eps", TorchvisionV2BatchNormEps);
        float drop = json.Float("stochastic_depth_prob", TorchvisionStochasticDepthProb);
        EfficientNetConfig config;
        if (json.Has("block_types"))
        {
            config = new EfficientNetConfig(cLatent, cCond, effnet, json.Int("stem_channels"), ReadStages(json), eps, drop);
        }
        else if (Presets.TryGetValue(effnet, out var preset))
        {
            config = preset with { CLatent = cLatent, CCond = cCond, BatchNormEps = eps, StochasticDepthProb = drop };
        }
        else
        {
            throw json.Unsupported("effnet", effnet,
                $"not a preset ({string.Join(", ", Presets.Keys)}); a custom backbone must list its stages ('block_types', 'expand_ratios', 'kernel_sizes', 'strides', 'out_channels', 'num_layers', 'stem_channels')");
        }
        config.Validate(json.Source);
        return config;
    }

    private static EfficientNetStage[] ReadStages(ConfigJson json)
    {
        var types = json.StringArray("block_types");
        var columns = new[] { "expand_ratios", "kernel_sizes", "strides", "out_channels", "num_layers" }
            .Select(key => (key, values: json.IntArray(key))).ToArray();
        foreach (var (key, values) in columns)
            if (values.Length != types.Length)
                throw json.Unsupported(key, values, $"has {values.Length} entries but 'block_types' has {types.Length}; one per stage");
        var stages = new EfficientNetStage[types.Length];
        int inChannels = json.Int("stem_channels");
        for (int i = 0; i < types.Length; i++)
        {
            var block = types[i] switch
            {
                nameof(EfficientNetBlockType.FusedMBConv) => EfficientNetBlockType.FusedMBConv,
                nameof(EfficientNetBlockType.MBConv) => EfficientNetBlockType.MBConv,
                _ => throw json.Unsupported($"block_types[{i}]", types[i], "expected \"FusedMBConv\" or \"MBConv\""),
            };
            int outChannels = columns[3].values[i];
            stages[i] = new EfficientNetStage(block, columns[0].values[i], columns[1].values[i], columns[2].values[i], inChannels, outChannels, columns[4].values[i]);
            inChannels = outChannels;
        }
        return stages;
    }

    /// <summary>Throws naming <paramref name="source"/> and the key when a value cannot be built.</summary>
    public void Validate(string source = nameof(EfficientNetConfig))
    {
        ConfigJson.Require(CLatent >= 1, source, "c_latent", CLatent, "must be >= 1");
        ConfigJson.Require(CCond >= 1, source, "c_cond", CCond, "must be >= 1");
        ConfigJson.Require(!string.IsNullOrWhiteSpace(Effnet), source, "effnet", Effnet, "must name the backbone");
        ConfigJson.Require(StemChannels >= 1, source, "stem_channels", StemChannels, "must be >= 1");
        ConfigJson.Require(Stages.Count >= 1, source, "block_types", Stages.Count, "needs at least one stage");
        ConfigJson.Require(float.IsFinite(BatchNormEps) && BatchNormEps > 0, source, "batch_norm_eps", BatchNormEps, "must be a positive number");
        ConfigJson.Require(StochasticDepthProb is >= 0 and <= 1, source, "stochastic_depth_prob", StochasticDepthProb, "must be in [0, 1]");
        int inChannels = StemChannels;
        for (int i = 0; i < Stages.Count; i++)
        {
            var s = Stages[i];
            ConfigJson.Require(s.InChannels == inChannels, source, $"stage {i} input channels", s.InChannels,
                $"must equal the previous stage's output ({inChannels}; the stem's for the first stage)");
            ConfigJson.Require(s.ExpandRatio >= 1, source, $"expand_ratios[{i}]", s.ExpandRatio, "must be >= 1");
            ConfigJson.Require(s.Kernel >= 1 && s.Kernel % 2 == 1, source, $"kernel_sizes[{i}]", s.Kernel, "must be odd (torchvision pads (k − 1) / 2)");
            ConfigJson.Require(s.Stride is 1 or 2, source, $"strides[{i}]", s.Stride, "must be 1 or 2");
            ConfigJson.Require(s.OutChannels >= 1, source, $"out_channels[{i}]", s.OutChannels, "must be >= 1");
            ConfigJson.Require(s.Layers >= 1, source, $"num_layers[{i}]", s.Layers, "must be >= 1");
            inChannels = s.OutChannels;
        }
    }

    /// <summary>The config as JSON: diffusers' keys, plus the stage arrays and non-default settings when it is not a plain preset.</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("_class_name", ClassName);
            json.WriteNumber("c_latent", CLatent);
            json.WriteNumber("c_cond", CCond);
            json.WriteString("effnet", Effnet);
            if (!IsPreset)
            {
                json.WriteNumber("stem_channels", StemChannels);
                WriteArray(json, "block_types", Stages, (j, s) => j.WriteStringValue(s.Block.ToString()));
                WriteArray(json, "expand_ratios", Stages, (j, s) => j.WriteNumberValue(s.ExpandRatio));
                WriteArray(json, "kernel_sizes", Stages, (j, s) => j.WriteNumberValue(s.Kernel));
                WriteArray(json, "strides", Stages, (j, s) => j.WriteNumberValue(s.Stride));
                WriteArray(json, "out_channels", Stages, (j, s) => j.WriteNumberValue(s.OutChannels));
                WriteArray(json, "num_layers", Stages, (j, s) => j.WriteNumberValue(s.Layers));
            }
            if (!IsPreset || BatchNormEps != TorchvisionV2BatchNormEps) json.WriteNumber("batch_norm_eps", BatchNormEps);
            if (!IsPreset || StochasticDepthProb != TorchvisionStochasticDepthProb) json.WriteNumber("stochastic_depth_prob", StochasticDepthProb);
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> (a file, or a folder to hold <c>config.json</c>) atomically.</summary>
    public void Save(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, "config.json");
        AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(ToJson()));
    }

    private static void WriteArray(Utf8JsonWriter json, string key, IReadOnlyList<EfficientNetStage> stages, Action<Utf8JsonWriter, EfficientNetStage> write)
    {
        json.WriteStartArray(key);
        foreach (var s in stages) write(json, s);
        json.WriteEndArray();
    }

    public bool Equals(EfficientNetConfig? other) =>
        other is not null && CLatent == other.CLatent && CCond == other.CCond && Effnet == other.Effnet &&
        StemChannels == other.StemChannels && Stages.SequenceEqual(other.Stages) &&
        BatchNormEps == other.BatchNormEps && StochasticDepthProb == other.StochasticDepthProb;

    public override int GetHashCode() => HashCode.Combine(CLatent, CCond, Effnet, StemChannels, Stages.Count, BatchNormEps, StochasticDepthProb);
}
