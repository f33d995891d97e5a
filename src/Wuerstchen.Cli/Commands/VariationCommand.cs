using System.CommandLine;
using Wuerstchen.Pipelines.ImageEncoding;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// <c>wuerstchen variation IMAGE --effnet DIR --decoder DIR -o out.png [--prompt …] [--num-images N]</c>: Stage B
/// redraws the image from its semantic embedding with fresh noise per image, optionally steered by a prompt.
/// </summary>
public static class VariationCommand
{
    public static Command Create(CliContext context)
    {
        var inputs = new EncodeDecodeInputs();
        var image = new Argument<string>("IMAGE") { Description = "The PNG to vary." };
        var output = new Option<string>("--output", "-o") { Description = "PNG file to write (name-0.png, name-1.png, … for several images).", Required = true };
        var count = new Option<int>("--num-images") { Description = "Number of variations.", DefaultValueFactory = _ => 1 };
        inputs.Effnet.Required = true;
        inputs.Decoder.Required = true;
        var command = new Command("variation", "Draw variations of an image: semantic compressor → Stage B (new noise, optional prompt) → Stage A.")
        {
            image, inputs.Effnet, inputs.Decoder, output, count, inputs.Strength, inputs.Threads,
        };
        foreach (var option in inputs.DecoderOptions) command.Add(option);
        command.SetAction(parse =>
        {
            EncodeDecodeInputs.ApplyThreads(parse.GetValue(inputs.Threads));
            int n = parse.GetValue(count);
            if (n <= 0) throw new CliUsageException("--num-images", $"must be positive, got {n}.");
            var options = inputs.DecodeOptions(parse, n, withStrength: true);
            string path = parse.GetValue(output)!;
            EncodeDecodeInputs.RequireOutputFolder("--output", path);
            using var source = EncodeDecodeInputs.ReadImage("IMAGE", parse.GetValue(image)!);
            using var images = SemanticReconstruction.Run(context, source, parse.GetValue(inputs.Effnet)!, parse.GetValue(inputs.Decoder)!, options, parse.GetValue(inputs.Seed));
            var paths = ImageFiles.NumberedPaths(path, images.Size(0));
            ImageFiles.WritePngs(images, paths);
            foreach (var p in paths) context.Output.WriteLine(p);
            return CliApp.ExitSuccess;
        });
        return command;
    }
}
