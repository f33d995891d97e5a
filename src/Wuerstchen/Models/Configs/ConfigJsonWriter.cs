using System.Text;
using System.Text.Json;
using Wuerstchen.IO;

namespace Wuerstchen.Models.Configs;

/// <summary>
/// Writes the <c>config.json</c> files that the config records are read from, in the format diffusers and
/// transformers write them (snake_case keys, <c>_class_name</c> / <c>architectures</c>), so a trained checkpoint is
/// a component folder both our <c>FromPretrained</c> and diffusers can load. Every writer round-trips through the
/// matching reader (<see cref="WuerstchenPriorConfig.From"/> …).
/// </summary>
public static class ConfigJsonWriter
{
    /// <summary>The diffusers version recorded in written configs (the one the Würstchen pipelines first shipped in).</summary>
    public const string DiffusersVersion = "0.22.0";

    public static string ToJson(WuerstchenPriorConfig c) => Write(w =>
    {
        Diffusers(w, WuerstchenPriorConfig.ClassName);
        w.WriteNumber("c", c.C);
        w.WriteNumber("c_cond", c.CCond);
        w.WriteNumber("c_in", c.CIn);
        w.WriteNumber("c_r", c.CR);
        w.WriteNumber("depth", c.Depth);
        w.WriteNumber("dropout", (double)(decimal)c.Dropout);
        w.WriteNumber("nhead", c.NHead);
    });

    public static string ToJson(WuerstchenDiffNeXtConfig c) => Write(w =>
    {
        Diffusers(w, WuerstchenDiffNeXtConfig.ClassName);
        Ints(w, "blocks", c.Blocks);
        w.WriteNumber("c_cond", c.CCond);
        Ints(w, "c_hidden", c.CHidden);
        w.WriteNumber("c_in", c.CIn);
        w.WriteNumber("c_out", c.COut);
        w.WriteNumber("c_r", c.CR);
        w.WriteNumber("clip_embd", c.ClipEmbd);
        // diffusers stores one number when every level has the same dropout.
        if (c.Dropout.Distinct().Count() == 1) w.WriteNumber("dropout", (double)(decimal)c.Dropout[0]);
        else
        {
            w.WriteStartArray("dropout");
            foreach (var d in c.Dropout) w.WriteNumberValue((double)(decimal)d);
            w.WriteEndArray();
        }
        w.WriteNumber("effnet_embd", c.EffnetEmbd);
        w.WriteStartArray("inject_effnet");
        foreach (var b in c.InjectEffnet) w.WriteBooleanValue(b);
        w.WriteEndArray();
        w.WriteNumber("kernel_size", c.KernelSize);
        w.WriteStartArray("level_config");
        foreach (var s in c.LevelConfig) w.WriteStringValue(s);
        w.WriteEndArray();
        Ints(w, "nhead", c.NHead);
        w.WriteNumber("patch_size", c.PatchSize);
    });

    public static string ToJson(PaellaVQConfig c) => Write(w =>
    {
        Diffusers(w, PaellaVQConfig.ClassName);
        w.WriteNumber("bottleneck_blocks", c.BottleneckBlocks);
        w.WriteNumber("embed_dim", c.EmbedDim);
        w.WriteNumber("in_channels", c.InChannels);
        w.WriteNumber("latent_channels", c.LatentChannels);
        w.WriteNumber("levels", c.Levels);
        w.WriteNumber("num_vq_embeddings", c.NumVqEmbeddings);
        w.WriteNumber("out_channels", c.OutChannels);
        w.WriteNumber("scale_factor", (double)(decimal)c.ScaleFactor);
        w.WriteNumber("up_down_scale_factor", c.UpDownScaleFactor);
    });

    /// <summary>transformers' <c>CLIPTextConfig</c>, with the token ids of the standard CLIP tokenizer.</summary>
    public static string ToJson(ClipTextConfig c) => Write(w =>
    {
        w.WriteStartArray("architectures");
        w.WriteStringValue("CLIPTextModel");
        w.WriteEndArray();
        w.WriteNumber("attention_dropout", 0.0);
        w.WriteNumber("bos_token_id", 49406);
        w.WriteNumber("dropout", 0.0);
        w.WriteNumber("eos_token_id", 49407);
        w.WriteString("hidden_act", c.HiddenAct);
        w.WriteNumber("hidden_size", c.HiddenSize);
        w.WriteNumber("initializer_factor", 1.0);
        w.WriteNumber("initializer_range", 0.02);
        w.WriteNumber("intermediate_size", c.IntermediateSize);
        w.WriteNumber("layer_norm_eps", (double)(decimal)c.LayerNormEps);
        w.WriteNumber("max_position_embeddings", c.MaxPositionEmbeddings);
        w.WriteString("model_type", "clip_text_model");
        w.WriteNumber("num_attention_heads", c.NumAttentionHeads);
        w.WriteNumber("num_hidden_layers", c.NumHiddenLayers);
        w.WriteNumber("pad_token_id", 1);
        w.WriteNumber("projection_dim", c.HiddenSize);
        w.WriteString("torch_dtype", "float32");
        w.WriteNumber("vocab_size", c.VocabSize);
    });

    /// <summary><c>scheduler/scheduler_config.json</c> of <c>DDPMWuerstchenScheduler</c>.</summary>
    public static string SchedulerJson(double scaler = 1.0, double s = 0.008) => Write(w =>
    {
        Diffusers(w, "DDPMWuerstchenScheduler");
        w.WriteNumber("s", s);
        w.WriteNumber("scaler", scaler);
    });

    /// <summary>Writes <paramref name="json"/> to <paramref name="path"/> atomically (UTF-8, trailing newline).</summary>
    public static void Save(string path, string json) => AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(json + "\n"));

    // float → decimal → double prints the float's shortest decimal form (0.3764, not 0.37639999389648438).
    private static void Diffusers(Utf8JsonWriter w, string className)
    {
        w.WriteString("_class_name", className);
        w.WriteString("_diffusers_version", DiffusersVersion);
    }

    private static void Ints(Utf8JsonWriter w, string key, int[] values)
    {
        w.WriteStartArray(key);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    internal static string Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
