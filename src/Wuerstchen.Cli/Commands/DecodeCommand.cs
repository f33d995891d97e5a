using Wuerstchen.Models;
using System.CommandLine;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Pipelines.ImageEncoding;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// <c>wuerstchen decode LATENT -o out.png</c> with <c>--vqgan DIR</c> for a Stage B latent (Stage A decoder; a
/// <c>--decoder</c> pipeline folder's vqgan serves too) or <c>--decoder DIR</c> for a Stage C latent (Stage B sampling
/// + Stage A, as after the prior).
/// </summary>
public static class DecodeCommand
{
    public static Command Create(CliContext context)
    {
        var inputs = new EncodeDecodeInputs();
        var latent = new Argument<string>("LATENT") { Description = "A latent file written by 'encode' (or any safetensors file with one [B, C, h, w] tensor)." };
        var output = new Option<string>("--output", "-o") { Description = "PNG file to write (name-0.png, name-1.png, … for several images).", Required = true };
        var command = new Command("decode", "Decode a latent file into images: Stage A for Stage B latents, Stage B + A for Stage C latents.")
        {
            latent, inputs.Vqgan, inputs.Decoder, output, inputs.LatentMean, inputs.LatentStd, inputs.Threads,
        };
        foreach (var option in inputs.DecoderOptions) command.Add(option);
        command.SetAction(parse =>
        {
            EncodeDecodeInputs.ApplyThreads(parse.GetValue(inputs.Threads));
            var options = inputs.DecodeOptions(parse);
            return Run(context, parse.GetValue(latent)!, parse.GetValue(inputs.Vqgan), parse.GetValue(inputs.Decoder), parse.GetValue(output)!,
                options, parse.GetValue(inputs.Seed), inputs.LatentScale(parse));
        });
        return command;
    }

    private static int Run(CliContext context, string latentPath, string? vqgan, string? decoderFolder, string output,
        SemanticDecodeOptions options, ulong? seed, StageCLatentScale scale)
    {
        if (!File.Exists(latentPath)) throw new CliUsageException("LATENT", $"file '{latentPath}' does not exist.");
        EncodeDecodeInputs.RequireOutputFolder("--output", output);
        if (options.Steps <= 0) throw new CliUsageException("--steps", $"must be positive, got {options.Steps}.");
        LatentSpace space;
        Wuerstchen.Tensors.Tensor latents;
        try { (latents, space) = LatentFile.Load(latentPath); }
        catch (InvalidDataException e) { throw new CliUsageException("LATENT", e.Message); }
        using (latents)
        {
            Wuerstchen.Tensors.Tensor images;
            if (space == LatentSpace.StageB)
            {
                // A decoder pipeline folder has a vqgan too.
                string option = vqgan != null ? "--vqgan" : "--decoder";
                string folder = vqgan ?? decoderFolder
                    ?? throw new CliUsageException("--vqgan", $"'{latentPath}' holds Stage B latents; decoding them needs Stage A (--vqgan DIR).");
                using var codec = EncodeDecodeInputs.LoadVqgan(option, folder);
                if (latents.Size(1) != codec.Model.Config.LatentChannels)
                    throw new CliUsageException("LATENT", $"'{latentPath}' has {latents.Size(1)}-channel latents; the VQGAN in '{folder}' decodes {codec.Model.Config.LatentChannels}.");
                images = codec.Decode(latents);
            }
            else
            {
                if (decoderFolder == null) throw new CliUsageException("--decoder", $"'{latentPath}' holds Stage C latents; decoding them needs Stage B (--decoder DIR).");
                using var decoder = EncodeDecodeInputs.LoadDecoder("--decoder", decoderFolder, latents.Size(1), $"'{latentPath}'");
                using var embeddings = scale.ToEmbeddings(latents);
                EncodeDecodeInputs.CheckSize("LATENT", () => decoder.SizeRules().CheckDecodableLatent(latents.Size(2), latents.Size(3)));
                var generator = EncodeDecodeInputs.Generator(context, seed);
                using var result = new StageProgress(context).Run(callbacks =>
                    SemanticCodec.Decode(decoder, embeddings, options, generator, callbacks, context.Cancellation));
                images = result.Images!.Clone();
            }
            using (images)
            {
                var paths = ImageFiles.NumberedPaths(output, images.Size(0));
                ImageFiles.WritePngs(images, paths);
                foreach (var path in paths) context.Output.WriteLine(path);
            }
        }
        return CliApp.ExitSuccess;
    }
}
