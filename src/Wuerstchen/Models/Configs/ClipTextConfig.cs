namespace Wuerstchen.Models.Configs;

/// <summary>
/// Hugging Face <c>CLIPTextConfig</c> (<c>text_encoder/config.json</c>, or the <c>text_config</c> section of a full
/// CLIP config). Property names are the JSON keys in PascalCase. Token-id fields (bos/eos/pad) are stale
/// defaults in the Würstchen repos and are not read; the tokenizer owns them.
/// </summary>
public sealed record ClipTextConfig(
    int VocabSize, int HiddenSize, int IntermediateSize, int NumAttentionHeads, int NumHiddenLayers,
    int MaxPositionEmbeddings, string HiddenAct, float LayerNormEps)
{
    /// <summary>Activations we implement: exact erf GELU (OpenCLIP/LAION towers) and OpenAI's quick GELU.</summary>
    public static readonly IReadOnlyList<string> SupportedActivations = ["gelu", "quick_gelu"];

    /// <summary>CLIP ViT-bigG/14 text tower of <c>warp-ai/wuerstchen-prior</c> (SPEC §2.11).</summary>
    public static ClipTextConfig WarpAiPrior { get; } = new(49408, 1280, 5120, 20, 32, 77, "gelu", 1e-5f);

    /// <summary>CLIP ViT-H/14 text tower of <c>warp-ai/wuerstchen</c> (SPEC §2.11).</summary>
    public static ClipTextConfig WarpAiDecoder { get; } = new(49408, 1024, 4096, 16, 24, 77, "gelu", 1e-5f);

    public int HeadDim => HiddenSize / NumAttentionHeads;

    public static ClipTextConfig Load(string path) => From(ConfigJson.Load(path));

    public static ClipTextConfig From(ConfigJson json)
    {
        // A full CLIPModel config nests the text tower's fields.
        var text = json.Section("text_config") ?? json;
        string modelType = text.String("model_type", "clip_text_model");
        if (modelType is not ("clip_text_model" or "clip"))
            throw text.Unsupported("model_type", $"\"{modelType}\"", "expected \"clip_text_model\"");
        var config = new ClipTextConfig(
            VocabSize: text.Int("vocab_size"), HiddenSize: text.Int("hidden_size"),
            IntermediateSize: text.Int("intermediate_size"), NumAttentionHeads: text.Int("num_attention_heads"),
            NumHiddenLayers: text.Int("num_hidden_layers"), MaxPositionEmbeddings: text.Int("max_position_embeddings"),
            HiddenAct: text.String("hidden_act"), LayerNormEps: text.Float("layer_norm_eps"));
        config.Validate(text.Source);
        return config;
    }

    public void Validate(string source = nameof(ClipTextConfig))
    {
        ConfigJson.Require(VocabSize >= 1, source, "vocab_size", VocabSize, "must be >= 1");
        ConfigJson.Require(HiddenSize >= 1, source, "hidden_size", HiddenSize, "must be >= 1");
        ConfigJson.Require(IntermediateSize >= 1, source, "intermediate_size", IntermediateSize, "must be >= 1");
        ConfigJson.Require(NumAttentionHeads >= 1 && HiddenSize % NumAttentionHeads == 0, source, "num_attention_heads", NumAttentionHeads,
            $"must be >= 1 and divide hidden_size = {HiddenSize}");
        ConfigJson.Require(NumHiddenLayers >= 0, source, "num_hidden_layers", NumHiddenLayers, "must be >= 0");
        ConfigJson.Require(MaxPositionEmbeddings >= 1, source, "max_position_embeddings", MaxPositionEmbeddings, "must be >= 1");
        ConfigJson.Require(SupportedActivations.Contains(HiddenAct), source, "hidden_act", $"\"{HiddenAct}\"",
            $"supported: {string.Join(", ", SupportedActivations)}");
        ConfigJson.Require(float.IsFinite(LayerNormEps) && LayerNormEps > 0, source, "layer_norm_eps", LayerNormEps, "must be a positive number");
    }
}
